/**
 * Bytes of a provider's error body kept for `errors.jsonl` and the store, at most. An error body
 * can be anything the endpoint sends (a stack trace, an echoed request, 100 MB of HTML); a few KB
 * say what went wrong, the rest would only fill the store. OpenAI's own batch error lines are
 * well under this.
 */
export const ERROR_BODY_MAX_BYTES = 8192;

/** An error body as it is stored: at most `ERROR_BODY_MAX_BYTES` of UTF-8, and how long it was. */
export interface StoredErrorBody {
  body: string;
  /** Length of the body the endpoint sent, in bytes; more than `body`'s when it was cut. */
  bodyBytes: number;
}

/**
 * The one place an error body is cut before it is kept (in a `ProviderError`, hence in the
 * store and `errors.jsonl`). Never splits a UTF-8 character. `totalBytes` is the length the
 * endpoint sent when the caller read only a head of the body (see providers/answer-reader.ts).
 */
export function cutErrorBody(body: string | Uint8Array, totalBytes?: number): StoredErrorBody {
  if (typeof body === 'string') {
    const length = Buffer.byteLength(body, 'utf8');
    const bodyBytes = Math.max(totalBytes ?? 0, length);
    if (length <= ERROR_BODY_MAX_BYTES) return { body, bodyBytes };
    // Encode only a head: ERROR_BODY_MAX_BYTES code units hold at least that many bytes.
    return { body: cutUtf8(Buffer.from(body.slice(0, ERROR_BODY_MAX_BYTES), 'utf8')), bodyBytes };
  }
  return { body: cutUtf8(body), bodyBytes: Math.max(totalBytes ?? 0, body.length) };
}

function cutUtf8(bytes: Uint8Array): string {
  let end = Math.min(bytes.length, ERROR_BODY_MAX_BYTES);
  if (end < bytes.length) {
    // Step back over continuation bytes (10xxxxxx) to the start of the cut character.
    while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, end).toString('utf8');
}
