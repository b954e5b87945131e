/** One try of an item against a provider (SPEC section 2). */
export interface Attempt {
  seq: number;
  /** 1-based attempt number within the item. */
  attempt: number;
  startedAt: number;
  latencyMs: number;
  statusCode: number | null;
  /** `ok`, or the failure's stable code (`http_429`, `timeout`, ...). */
  outcome: string;
  inputTokens: number | null;
  outputTokens: number | null;
  /** With an answer review: which request this was, 0 the original, N the N-th re-ask (docs/decisions/0019). */
  reask?: number | null;
  /** With an answer review: the check status of this attempt's answer (`valid`, `invalid`, ...). */
  check?: string | null;
}
