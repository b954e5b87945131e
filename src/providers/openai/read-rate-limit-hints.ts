/** Response headers as undici gives them. */
export type ResponseHeaders = Record<string, string | string[] | undefined>;
import type { RateLimitHints } from '../provider.ts';

/** Parses OpenAI-style reset durations: `120ms`, `1.5s`, `6m0s`, `1h2m3s`; undefined for anything else. */
export function parseResetDuration(text: string): number | undefined {
  if (!/^(?:\d+(?:\.\d+)?(?:ms|h|m|s))+$/.test(text.trim())) return undefined;
  const pattern = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let matched = false;
  for (const match of text.matchAll(pattern)) {
    matched = true;
    const value = Number.parseFloat(match[1] ?? '0');
    const unit = match[2];
    total += unit === 'ms' ? value : unit === 's' ? value * 1000 : unit === 'm' ? value * 60_000 : value * 3_600_000;
  }
  return matched ? total : undefined;
}

function header(headers: ResponseHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function numberHeader(headers: ResponseHeaders, name: string): number | undefined {
  const value = header(headers, name);
  if (value === undefined) return undefined;
  const parsed = Number.parseFloat(value);
  return Number.isFinite(parsed) ? parsed : undefined;
}

/**
 * The rate-limit headers of an answer, or null when the server sends none (most local
 * servers). Two families, each per requests and per tokens:
 * - OpenAI's `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`; resets are durations
 *   (`20ms`, `1s`, `6m0s`).
 * - Anthropic's `anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}` (its
 *   OpenAI-compatible endpoint sends them too); resets are RFC 3339 times, turned into ms
 *   from `now`. Without `tokens-*`, the `input-tokens-*` limit stands for tokens.
 * OpenAI's wins where a server sends both.
 */
export function readRateLimitHints(headers: ResponseHeaders, now: number = Date.now()): RateLimitHints | null {
  // Most servers send none: one pass over the names, before building anything (this runs for every answer).
  if (!hasRateLimitHeader(headers)) return null;
  const hints: RateLimitHints = {};
  const fill = (key: keyof RateLimitHints, ...values: (number | undefined)[]): void => {
    const value = values.find((candidate) => candidate !== undefined);
    if (value !== undefined) hints[key] = value;
  };
  const anthropic = (name: string): number | undefined => numberHeader(headers, `anthropic-ratelimit-${name}`);
  const anthropicReset = (name: string): number | undefined =>
    resetTimeMs(header(headers, `anthropic-ratelimit-${name}-reset`), now);
  fill('limitRequests', numberHeader(headers, 'x-ratelimit-limit-requests'), anthropic('requests-limit'));
  fill('remainingRequests', numberHeader(headers, 'x-ratelimit-remaining-requests'), anthropic('requests-remaining'));
  fill('resetRequestsMs', resetDurationHeader(headers, 'x-ratelimit-reset-requests'), anthropicReset('requests'));
  fill(
    'limitTokens',
    numberHeader(headers, 'x-ratelimit-limit-tokens'),
    anthropic('tokens-limit'),
    anthropic('input-tokens-limit'),
  );
  fill(
    'remainingTokens',
    numberHeader(headers, 'x-ratelimit-remaining-tokens'),
    anthropic('tokens-remaining'),
    anthropic('input-tokens-remaining'),
  );
  fill(
    'resetTokensMs',
    resetDurationHeader(headers, 'x-ratelimit-reset-tokens'),
    anthropicReset('tokens'),
    anthropicReset('input-tokens'),
  );
  return Object.keys(hints).length === 0 ? null : hints;
}

function hasRateLimitHeader(headers: ResponseHeaders): boolean {
  for (const name in headers) {
    if (name.startsWith('x-ratelimit-') || name.startsWith('anthropic-ratelimit-')) return true;
  }
  return false;
}

function resetDurationHeader(headers: ResponseHeaders, name: string): number | undefined {
  const value = header(headers, name);
  return value === undefined ? undefined : parseResetDuration(value);
}

/** An RFC 3339 time as ms from `now` (0 when past), or undefined when unreadable. */
export function resetTimeMs(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

export function readHeader(headers: ResponseHeaders, name: string): string | undefined {
  return header(headers, name);
}
