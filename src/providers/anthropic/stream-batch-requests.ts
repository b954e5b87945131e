import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';

/** Bytes gathered before handing a piece of the body to the SDK: fewer, larger chunks on the wire. */
const PIECE_CHARS = 64 * 1024;

/**
 * The body of `POST /v1/messages/batches`, `{"requests":[line,line,...]}`, streamed from a chunk file whose lines
 * are `{"custom_id", "params"}` objects as `encodeLine` wrote them. A chunk may hold 256 MB: parsing it into objects
 * for the SDK to serialise again would keep it in memory several times over, so the lines are spliced in as text.
 * The body is 14 bytes longer than the chunk's counted bytes (each counted newline becomes a comma).
 *
 * Checks the file is there before any request is made: a missing chunk file is a local fault to surface at once,
 * not a network failure for the engine to retry.
 */
export async function streamBatchRequests(path: string): Promise<AsyncIterable<Uint8Array>> {
  await stat(path);
  return generate(path);
}

async function* generate(path: string): AsyncGenerator<Uint8Array> {
  let piece = '{"requests":[';
  let first = true;
  const reader = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of reader) {
    if (line.trim() === '') continue;
    piece += first ? line : `,${line}`;
    first = false;
    if (piece.length >= PIECE_CHARS) {
      yield Buffer.from(piece);
      piece = '';
    }
  }
  yield Buffer.from(`${piece}]}`);
}
