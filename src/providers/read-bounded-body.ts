const EMPTY = Buffer.alloc(0);

export interface ReadBoundedBodyOptions {
  /** Past this many bytes reading stops: the body is over the limit (`max_response_bytes`). */
  maxBytes: number;
  /** The `content-length` the server announced, if any: the buffer is then allocated once, at that size. */
  contentLength: number | undefined;
  /**
   * Keep only the first `keepBytes` and count the rest (an error body, of which only a head is
   * stored). Reading still stops past `maxBytes`, or as soon as the head is in when the server
   * announced more than that.
   * @default maxBytes
   */
  keepBytes?: number;
}

export interface BoundedBody {
  /** The body, or its first `keepBytes`; empty when the announced length alone was over the limit. */
  bytes: Buffer;
  /** Bytes the server sent (or announced, when reading stopped before the end). */
  totalBytes: number;
  /** More than `maxBytes`: reading stopped early and the caller must abort the request. */
  overLimit: boolean;
}

/**
 * Reads a response body into ONE buffer, never holding more than `maxBytes` (or `keepBytes`).
 * Bytes are counted as they arrive, so an endless or huge body costs at most the limit, never
 * the whole of it. With a `content-length` the buffer is allocated once at that size and the
 * chunks are copied in; without one the chunks are kept as they came and joined once at the
 * end. Nothing is decoded here: the caller decides whether and how.
 */
export async function readBoundedBody(
  body: AsyncIterable<Uint8Array>,
  options: ReadBoundedBodyOptions,
): Promise<BoundedBody> {
  const { maxBytes, contentLength } = options;
  const keepBytes = Math.min(options.keepBytes ?? maxBytes, maxBytes);
  const announcedOver = contentLength !== undefined && contentLength > maxBytes;
  // The whole body was wanted and the server already said it is too large: not one byte is worth reading.
  if (announcedOver && keepBytes === maxBytes) return { bytes: EMPTY, totalBytes: contentLength, overLimit: true };
  const target = contentLength === undefined ? undefined : Buffer.allocUnsafe(Math.min(contentLength, keepBytes));
  const parts: Uint8Array[] = [];
  let kept = 0;
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (kept < keepBytes) {
      const take = Math.min(chunk.length, keepBytes - kept, target === undefined ? Infinity : target.length - kept);
      if (target !== undefined) target.set(take === chunk.length ? chunk : chunk.subarray(0, take), kept);
      else parts.push(take === chunk.length ? chunk : chunk.subarray(0, take));
      kept += take;
    }
    if (total > maxBytes || (announcedOver && kept >= keepBytes)) {
      const bytes = target === undefined ? join(parts, kept) : target.subarray(0, kept);
      return { bytes, totalBytes: Math.max(total, contentLength ?? 0), overLimit: true };
    }
  }
  const bytes = target === undefined ? join(parts, kept) : target.subarray(0, kept);
  return { bytes, totalBytes: total, overLimit: false };
}

function join(parts: readonly Uint8Array[], length: number): Buffer {
  const [only] = parts;
  if (parts.length === 1 && only !== undefined) return Buffer.from(only.buffer, only.byteOffset, only.byteLength);
  return parts.length === 0 ? EMPTY : Buffer.concat(parts, length);
}
