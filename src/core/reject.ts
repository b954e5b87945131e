/** An input line that could not become a request (SPEC section 3). `raw` is cut at 1 KB. */
export interface Reject {
  line: number;
  custom_id?: string;
  reason: string;
  raw: string;
}

export const REJECT_RAW_MAX_BYTES = 1024;

/** A reject's line as a store keeps it: cut to `REJECT_RAW_MAX_BYTES`, never half a character. */
export function cutRejectRaw(raw: string): string {
  if (raw.length <= REJECT_RAW_MAX_BYTES / 4) return raw;
  const bytes = Buffer.from(raw, 'utf8');
  if (bytes.length <= REJECT_RAW_MAX_BYTES) return raw;
  // Decoding a cut buffer may end in a replacement char; drop it rather than emit half a character.
  return bytes
    .subarray(0, REJECT_RAW_MAX_BYTES)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
}
