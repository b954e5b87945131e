import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { ConnectionError, ProviderError, TimeoutError } from '../../errors/index.ts';

/**
 * Maps an `openai` SDK error onto our `ProviderError` family, so the engine's retry policy
 * reads batch-API failures the same way as realtime ones. The SDK's message is kept; its
 * request headers (and so the key) are not.
 */
export function fromOpenAIError(error: unknown, what: string): ProviderError {
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
    const fields: { requestId?: string; body?: string } = {};
    if (typeof error.requestID === 'string') fields.requestId = error.requestID;
    if (error.error !== undefined) fields.body = JSON.stringify(error.error).slice(0, 2000);
    return ProviderError.generate(
      error.status,
      `${what}: HTTP ${String(error.status)}: ${shortMessage(error as { error?: unknown; message: string })}`,
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
  return new ProviderError(`${what}: ${(error as Error).message}`, { kind: 'malformed', cause: error });
}

function shortMessage(error: { error?: unknown; message: string }): string {
  const inner = error.error as { message?: unknown } | undefined;
  if (inner !== undefined && typeof inner.message === 'string') return inner.message;
  return error.message.replace(/^\d{3}\s*/, '');
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
