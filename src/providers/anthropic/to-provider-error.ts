import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import { ConnectionError, ProviderError, TimeoutError } from '../../errors/index.ts';
import { parseRetryAfter } from '../../util/parse-retry-after.ts';
import { redactSecrets } from '../../util/redact.ts';

const BODY_EXCERPT_CHARS = 2000;

/**
 * Maps an `@anthropic-ai/sdk` error (or a failure while streaming results) onto our `ProviderError` family, so the
 * engine's retry policy reads Message Batches failures the same way as every other provider call:
 * - the user's abort -> kind `aborted` (never retried);
 * - the SDK's timeout -> `TimeoutError`; no connection -> `ConnectionError` with the errno found along `cause`;
 * - an HTTP answer -> `ProviderError.generate(status, ...)` (401/403 stop the job, 429 and 5xx incl. Anthropic's
 *   529 `overloaded_error` are retried, other 4xx are not), with the server's `retry-after` when it sent one;
 * - anything else (a results line that is not JSON, a stream cut short) -> kind `malformed`, retried.
 * The SDK's request headers are never copied, and `secrets` (the configured key) are masked in what is kept.
 */
export function fromAnthropicError(error: unknown, what: string, secrets: readonly string[] = []): ProviderError {
  if (error instanceof ProviderError) return error;
  if (error instanceof APIUserAbortError) {
    return new ProviderError(`${what}: abandoned, the job is stopping`, { kind: 'aborted', cause: error });
  }
  if (error instanceof APIConnectionTimeoutError) {
    return new TimeoutError(`${what}: no answer in time`, { kind: 'timeout', cause: error });
  }
  if (error instanceof APIConnectionError) {
    const code = findErrno(error) ?? 'UNKNOWN';
    return new ConnectionError(`${what}: connection failed (${code})`, {
      kind: 'connection',
      errno: code,
      cause: error,
    });
  }
  if (error instanceof APIError && typeof error.status === 'number') {
    const fields: { requestId?: string; body?: string; retryAfterMs?: number } = {};
    if (typeof error.requestID === 'string') fields.requestId = error.requestID;
    if (error.error !== undefined) {
      fields.body = redactSecrets(JSON.stringify(error.error).slice(0, BODY_EXCERPT_CHARS), secrets);
    }
    // Typed as the SDK's `Headers`, which type-aware lint cannot always resolve; only `get` is used.
    const headers = error.headers as { get(name: string): string | null } | undefined;
    const retryAfterMs = parseRetryAfter(
      headers?.get('retry-after-ms') ?? undefined,
      headers?.get('retry-after') ?? undefined,
      Date.now(),
    );
    if (retryAfterMs !== undefined) fields.retryAfterMs = retryAfterMs;
    const type = error.type === null ? '' : `${error.type}: `;
    const detail = error.apiMessage ?? error.message.replace(/^\d{3}\s*/, '');
    return ProviderError.generate(
      error.status,
      redactSecrets(`${what}: HTTP ${String(error.status)}: ${type}${detail}`, secrets),
      fields,
    );
  }
  const code = findErrno(error);
  if (code !== undefined) {
    return new ConnectionError(`${what}: connection failed (${code})`, {
      kind: 'connection',
      errno: code,
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ProviderError(redactSecrets(`${what}: ${message}`, secrets), { kind: 'malformed', cause: error });
}

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
