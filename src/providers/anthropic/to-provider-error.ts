import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import { ProviderError } from '../../errors/index.ts';
import { abandoned, connectionFailed, findErrno, retryAfterOf, timedOut } from '../sdk-error-fields.ts';
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
  if (error instanceof APIUserAbortError) return abandoned(what, error);
  if (error instanceof APIConnectionTimeoutError) return timedOut(what, error);
  if (error instanceof APIConnectionError) return connectionFailed(what, error);
  if (error instanceof APIError && typeof error.status === 'number') {
    const fields: { requestId?: string; body?: string; retryAfterMs?: number } = {};
    if (typeof error.requestID === 'string') fields.requestId = error.requestID;
    if (error.error !== undefined) {
      fields.body = redactSecrets(JSON.stringify(error.error).slice(0, BODY_EXCERPT_CHARS), secrets);
    }
    const retryAfterMs = retryAfterOf(error.headers);
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
  if (code !== undefined) return connectionFailed(what, error, code);
  const message = error instanceof Error ? error.message : String(error);
  return new ProviderError(redactSecrets(`${what}: ${message}`, secrets), { kind: 'malformed', cause: error });
}

export { findErrno };
