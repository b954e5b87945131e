import type { IncomingMessage } from 'node:http';

export type BodyReadResult = { ok: true; body: Buffer } | { ok: false; reason: 'too_large' | 'aborted' };

/**
 * Reads a request body into ONE buffer. With a `content-length` the buffer is allocated once at that size and the
 * chunks are copied in as they arrive (node's parser never delivers more than the declared length), so a 200 MB
 * upload costs 200 MB; without one the chunks are joined once at the end. A body over `maxBytes` is drained and
 * dropped, so the caller can still answer 413 on a healthy connection.
 */
export function readRequestBody(request: IncomingMessage, maxBytes: number): Promise<BodyReadResult> {
  return new Promise((resolve) => {
    request.once('error', () => resolve({ ok: false, reason: 'aborted' }));
    request.once('close', () => {
      if (!request.complete) resolve({ ok: false, reason: 'aborted' });
    });
    const declared = Number(request.headers['content-length']);
    const hasLength = request.headers['content-length'] !== undefined && Number.isSafeInteger(declared);
    if (hasLength && declared > maxBytes) {
      request.resume();
      request.once('end', () => resolve({ ok: false, reason: 'too_large' }));
      return;
    }
    const target = hasLength ? Buffer.allocUnsafe(declared) : undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      if (size + chunk.length <= maxBytes) {
        if (target === undefined) chunks.push(chunk);
        else chunk.copy(target, size);
      }
      size += chunk.length;
    });
    request.once('end', () => {
      if (size > maxBytes) resolve({ ok: false, reason: 'too_large' });
      else if (target !== undefined) resolve({ ok: true, body: target.subarray(0, size) });
      else resolve({ ok: true, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) });
    });
  });
}
