import { ConnectionError, ProviderError, TimeoutError } from '../errors/index.ts';
import { parseRetryAfter } from '../util/parse-retry-after.ts';

/**
 * The parts of mapping an official SDK's errors (openai, @anthropic-ai/sdk) onto our
 * `ProviderError` family that do not depend on which SDK threw.
 */

/** The first `code` like ECONNREFUSED found along the `cause` chain. */
export function findErrno(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export function abandoned(what: string, cause: unknown): ProviderError {
  return new ProviderError(`${what}: abandoned, the job is stopping`, { kind: 'aborted', cause });
}

export function timedOut(what: string, cause: unknown): ProviderError {
  return new TimeoutError(`${what}: no answer in time`, { kind: 'timeout', cause });
}

export function connectionFailed(what: string, cause: unknown, code = findErrno(cause) ?? 'UNKNOWN'): ProviderError {
  return new ConnectionError(`${what}: connection failed (${code})`, { kind: 'connection', errno: code, cause });
}

/** `retry-after-ms` / `retry-after` of an SDK error's headers (typed differently by each SDK; only `get` is used). */
export function retryAfterOf(headers: unknown): number | undefined {
  const get = (headers as { get?: (name: string) => string | null } | undefined)?.get;
  if (typeof get !== 'function') return undefined;
  const read = (name: string): string | undefined => get.call(headers, name) ?? undefined;
  return parseRetryAfter(read('retry-after-ms'), read('retry-after'), Date.now());
}
