import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { UsageError } from '../errors/index.ts';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** Whether `host` only answers this machine: `localhost`, 127.0.0.0/8 or ::1. */
export function isLoopbackHost(host: string): boolean {
  if (LOOPBACK_NAMES.has(host.toLowerCase())) return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/** A token for a dashboard on a shared address: 32 random bytes, URL-safe. */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The token a dashboard on `host` requires: `token` as given, one generated when asked (`--token` alone), none on a
 * loopback address. Any other address without one is refused (`USAGE` naming `--token`): the dashboard shows every
 * job's items and answers, and lets a caller cancel them.
 */
export function dashboardToken(host: string, token: string | true | undefined): string | null {
  if (token === true) return generateToken();
  if (token !== undefined) {
    if (token.length < 16) {
      throw new UsageError('USAGE', '--token must be at least 16 characters; use --token alone to have one generated', {
        context: { flag: '--token' },
      });
    }
    return token;
  }
  if (isLoopbackHost(host)) return null;
  throw new UsageError(
    'USAGE',
    `--host ${host} is not a loopback address, and the dashboard there needs a token: add --token (one is generated and printed) or --token VALUE`,
    { context: { flag: '--token' } },
  );
}

/** Compares in constant time whatever the lengths (both sides hashed first). */
export function tokenMatches(given: string, expected: string): boolean {
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** The token a request carries: `Authorization: Bearer T`, or `?token=T` (an EventSource cannot set headers). */
export function requestToken(authorization: string | undefined, queryToken: unknown): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  if (match?.[1] !== undefined) return match[1];
  return typeof queryToken === 'string' ? queryToken : undefined;
}

/**
 * Whether a request's `Host` header names this machine, for a dashboard on loopback without a token: a web page of
 * another site that a DNS name pointed at 127.0.0.1 sends its own host name, and is refused.
 */
export function isLoopbackHostHeader(hostHeader: string | undefined): boolean {
  if (hostHeader === undefined) return false;
  const name = hostHeader.startsWith('[') ? hostHeader.slice(0, hostHeader.indexOf(']') + 1) : hostHeader.split(':')[0];
  return name !== undefined && isLoopbackHost(name);
}
