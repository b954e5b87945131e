import { BatchpilotError } from './batchpilot-error.ts';
import { cutErrorBody } from './cut-error-body.ts';

/**
 * What went wrong on one provider call. The retry policy reads only these
 * fields, never raw HTTP objects; request headers are never kept, so an
 * `Authorization` value cannot travel with the error.
 */
export type ProviderFailureKind =
  | 'http'
  | 'connection'
  | 'timeout'
  | 'malformed'
  | 'aborted'
  /** The answer was over `max_response_bytes`; reading stopped there. Never retried: it would come back as large. */
  | 'response_too_large';

export interface ProviderErrorFields {
  kind: ProviderFailureKind;
  status?: number;
  requestId?: string;
  /** The response body, or its head; kept cut to `ERROR_BODY_MAX_BYTES` (see cut-error-body.ts), for errors.jsonl. */
  body?: string;
  /** Length of the body the endpoint sent, in bytes, when `body` holds only its head. */
  bodyBytes?: number;
  /** From `retry-after-ms` or `retry-after` (seconds or HTTP date), already in ms. */
  retryAfterMs?: number;
  /** An explicit `x-should-retry: true|false` from the server wins over the status table. */
  shouldRetryHeader?: boolean;
  /** A system error code such as ECONNRESET, when there was no status. */
  errno?: string;
  /**
   * The server had begun to answer (its headers arrived) before this failure, e.g. a body that stopped arriving:
   * proof the endpoint is up, so never taken for an outage. @default false
   */
  answerStarted?: boolean;
  cause?: unknown;
}

/**
 * A provider call that failed (an HTTP status, a dropped connection, a timeout, a malformed answer), as the retry
 * policy and the item's error record see it; the subclasses below name the common kinds, as openai-node's do.
 */
export class ProviderError extends BatchpilotError {
  readonly kind: ProviderFailureKind;
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  readonly body: string | undefined;
  /** Length of the body the endpoint sent, in bytes; more than `body`'s when it was cut. */
  readonly bodyBytes: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly shouldRetryHeader: boolean | undefined;
  readonly errno: string | undefined;
  readonly answerStarted: boolean;

  constructor(message: string, fields: ProviderErrorFields) {
    super(codeOf(fields), message, { cause: fields.cause });
    this.kind = fields.kind;
    this.status = fields.status;
    this.requestId = fields.requestId;
    const stored = fields.body === undefined ? undefined : cutErrorBody(fields.body, fields.bodyBytes);
    this.body = stored?.body;
    this.bodyBytes = stored?.bodyBytes ?? fields.bodyBytes;
    this.retryAfterMs = fields.retryAfterMs;
    this.shouldRetryHeader = fields.shouldRetryHeader;
    this.errno = fields.errno;
    this.answerStarted = fields.answerStarted ?? false;
  }

  /** The short, stable name used in reports ("retries by cause") and errors.jsonl. */
  get causeLabel(): string {
    if (this.kind === 'http') return `http_${String(this.status)}`;
    if (this.kind === 'response_too_large') return this.kind;
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

function codeOf(fields: ProviderErrorFields): 'AUTH_FAILED' | 'RESPONSE_TOO_LARGE' | 'PROVIDER_FAILED' {
  if (fields.status === 401 || fields.status === 403) return 'AUTH_FAILED';
  return fields.kind === 'response_too_large' ? 'RESPONSE_TOO_LARGE' : 'PROVIDER_FAILED';
}

/** HTTP 401 or 403: the key was refused; the job stops (`AUTH_FAILED`). */
export class AuthenticationError extends ProviderError {}
/** HTTP 429: retried after the server's `retry-after`. */
export class RateLimitError extends ProviderError {}
/** HTTP 5xx: retried. */
export class InternalServerError extends ProviderError {}
/** No answer: the connection was refused, reset or dropped. */
export class ConnectionError extends ProviderError {}
/** No answer within `timeout_ms` (or `idle_timeout_ms` between bytes). */
export class TimeoutError extends ProviderError {}
/** An answer that is not the JSON the API promises. */
export class MalformedResponseError extends ProviderError {}
/** An answer over `max_response_bytes`: reading stopped there and the item failed (`RESPONSE_TOO_LARGE`). */
export class ResponseTooLargeError extends ProviderError {}
