import type { ItemState } from './states.ts';

/** The HTTP request an item stands for, as it will be sent. `body` is JSON text. */
export interface PreparedRequest {
  method: 'POST';
  /** Path as written in the input line or derived, e.g. `/v1/chat/completions`. */
  url: string;
  body: string;
}

/** The `model` a request names, or null when its body names none (or is not a JSON object). */
export function requestModel(request: Pick<PreparedRequest, 'body'>): string | null {
  try {
    const body = JSON.parse(request.body) as { model?: unknown } | null;
    return typeof body?.model === 'string' ? body.model : null;
  } catch {
    return null;
  }
}

/** Answers up to this size are parsed; a larger one is only looked at in its head, never decoded whole. */
const PARSED_ANSWER_MAX_BYTES = 1 << 20;
/** How much of a larger answer's head is searched for its `model`. */
const ANSWER_HEAD_BYTES = 65_536;
const MODEL_MEMBER = /"model"\s*:\s*"([^"\\]+)"/;

/**
 * The `model` an answer body names (the provider names what answered, e.g. `gpt-4o-mini-2024-07-18`), or null: none,
 * or not JSON (a command task's result). An answer over 1 MiB, or kept as bytes, is searched in its first 64 KiB.
 */
export function answerModel(body: string | Uint8Array): string | null {
  if (typeof body === 'string' && body.length <= PARSED_ANSWER_MAX_BYTES) {
    try {
      const model = (JSON.parse(body) as { model?: unknown } | null)?.model;
      return typeof model === 'string' && model !== '' ? model : null;
    } catch {
      return null;
    }
  }
  const head =
    typeof body === 'string'
      ? body.slice(0, ANSWER_HEAD_BYTES)
      : new TextDecoder().decode(body.subarray(0, ANSWER_HEAD_BYTES));
  return MODEL_MEMBER.exec(head)?.[1] ?? null;
}

/** Where an item's line sits in the input file: what resume needs instead of a copy. */
export interface ItemLocation {
  /** 0-based position among the job's valid items; fixes input order. */
  seq: number;
  customId: string;
  /** 1-based line number in the input file. */
  lineNo: number;
  byteOffset: number;
  /** Length of the line in bytes, without its newline. */
  byteLength: number;
  /** 48 bits of the sha1 of the line as it was read; null for items stored before it was kept. */
  lineHash?: number | null;
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

/** Why an item ended without a result. */
export type MissingReason = 'limit' | 'interrupted' | 'cancelled' | 'budget' | 'auth' | 'target_reached';

export interface ItemError {
  /** Stable short code, e.g. `http_400`, `timeout`, `connection_ECONNRESET`, `malformed`. */
  code: string;
  message: string;
  status?: number;
  /** Why retrying stopped. */
  reason?: 'maxRetriesExceeded' | 'errorNotRetryable' | 'abort';
  /** The provider's error body, cut to a few KB (`ERROR_BODY_MAX_BYTES`, src/errors/cut-error-body.ts). */
  body?: string;
  /** Length of that body as the provider sent it, in bytes; more than `body`'s when it was cut. */
  bodyBytes?: number;
}

/**
 * What the check of an item's last answer said (validate/'s `AnswerCheck` without its `text`), kept beside the
 * answer. An answered item is `succeeded` whatever its check says (docs/decisions/0019): the check is not a state.
 */
export interface ItemCheck {
  /** `valid`, `repaired`, `invalid`, `truncated`, `refused` (validate/answer-check.ts). */
  status: string;
  /** The parsed value (json) or the text (text), when there is one. */
  value?: unknown;
  /** Why it is not valid, each with its JSON path; empty when valid. */
  issues: { path: string; message: string }[];
}

/** A check as the store keeps it (`items.check_json`): without the text it read, which the answer body holds. */
export function toStoredCheck<T extends ItemCheck>(check: T & { text?: string }): Omit<T, 'text'> {
  const { text: _text, ...stored } = check;
  return stored;
}

/** One item as the store lists it, with its result when it has one. */
export interface ItemRecord extends ItemLocation {
  state: ItemState;
  attempts: number;
  missingReason: MissingReason | null;
  statusCode: number | null;
  requestId: string | null;
  /** JSON text, or its UTF-8 bytes when it was stored as bytes (large answers). */
  responseBody: string | Uint8Array | null;
  error: ItemError | null;
  /** Re-asks made of it (docs/decisions/0019); 0 without an answer review. */
  reasks: number;
  /** The check of its last answer, when an answer review checked it. */
  check: ItemCheck | null;
}
