import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { ProviderError } from '../../errors/index.ts';
import { abandoned, connectionFailed, findErrno, retryAfterOf, timedOut } from '../sdk-error-fields.ts';

/**
 * Maps an `openai` SDK error onto our `ProviderError` family, so the engine's retry policy
 * reads batch-API failures the same way as realtime ones. The SDK's message is kept; its
 * request headers (and so the key) are not.
 */
export function fromOpenAIError(error: unknown, what: string): ProviderError {
  if (error instanceof ProviderError) return error;
  if (error instanceof APIUserAbortError) return abandoned(what, error);
  if (error instanceof APIConnectionTimeoutError) return timedOut(what, error);
  if (error instanceof APIConnectionError) return connectionFailed(what, error);
  if (error instanceof APIError && typeof error.status === 'number') {
    const fields: { requestId?: string; body?: string; retryAfterMs?: number } = {};
    if (typeof error.requestID === 'string') fields.requestId = error.requestID;
    if (error.error !== undefined) fields.body = JSON.stringify(error.error).slice(0, 2000);
    const retryAfterMs = retryAfterOf(error.headers);
    if (retryAfterMs !== undefined) fields.retryAfterMs = retryAfterMs;
    return ProviderError.generate(
      error.status,
      `${what}: HTTP ${String(error.status)}: ${shortMessage(error as { error?: unknown; message: string })}`,
      fields,
    );
  }
  const code = findErrno(error);
  if (code !== undefined) return connectionFailed(what, error, code);
  return new ProviderError(`${what}: ${(error as Error).message}`, { kind: 'malformed', cause: error });
}

function shortMessage(error: { error?: unknown; message: string }): string {
  const inner = error.error as { message?: unknown } | undefined;
  if (inner !== undefined && typeof inner.message === 'string') return inner.message;
  return error.message.replace(/^\d{3}\s*/, '');
}
