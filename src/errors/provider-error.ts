import { BatchpilotError } from './batchpilot-error.ts';

/**
 * What went wrong on one provider call. The retry policy reads only these
 * fields, never raw HTTP objects; request headers are never kept, so an
 * `Authorization` value cannot travel with the error.
 */
export type ProviderFailureKind = 'http' | 'connection' | 'timeout' | 'malformed' | 'aborted';

export interface ProviderErrorFields {
  kind: ProviderFailureKind;
  status?: number;
  requestId?: string;
  /** A short excerpt of the response body, for errors.jsonl. */
  body?: string;
  /** From `retry-after-ms` or `retry-after` (seconds or HTTP date), already in ms. */
  retryAfterMs?: number;
  /** An explicit `x-should-retry: true|false` from the server wins over the status table. */
  shouldRetryHeader?: boolean;
  /** A system error code such as ECONNRESET, when there was no status. */
  errno?: string;
  cause?: unknown;
}

export class ProviderError extends BatchpilotError {
  readonly kind: ProviderFailureKind;
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  readonly body: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly shouldRetryHeader: boolean | undefined;
  readonly errno: string | undefined;

  constructor(message: string, fields: ProviderErrorFields) {
    super(fields.status === 401 || fields.status === 403 ? 'AUTH_FAILED' : 'PROVIDER_FAILED', message, {
      cause: fields.cause,
    });
    this.kind = fields.kind;
    this.status = fields.status;
    this.requestId = fields.requestId;
    this.body = fields.body;
    this.retryAfterMs = fields.retryAfterMs;
    this.shouldRetryHeader = fields.shouldRetryHeader;
    this.errno = fields.errno;
  }

  /** The short, stable name used in reports ("retries by cause") and errors.jsonl. */
  get causeLabel(): string {
    if (this.kind === 'http') return `http_${String(this.status)}`;
    return this.errno === undefined ? this.kind : `${this.kind}_${this.errno}`;
  }

  /** Builds the right subclass for an HTTP status, like openai-node's `APIError.generate`. */
  static generate(
    status: number,
    message: string,
    fields: Omit<ProviderErrorFields, 'kind' | 'status'>,
  ): ProviderError {
    const all: ProviderErrorFields = { ...fields, kind: 'http', status };
    if (status === 401 || status === 403) return new AuthenticationError(message, all);
    if (status === 429) return new RateLimitError(message, all);
    if (status >= 500) return new InternalServerError(message, all);
    return new ProviderError(message, all);
  }
}

export class AuthenticationError extends ProviderError {}
export class RateLimitError extends ProviderError {}
export class InternalServerError extends ProviderError {}
export class ConnectionError extends ProviderError {}
export class TimeoutError extends ProviderError {}
export class MalformedResponseError extends ProviderError {}
