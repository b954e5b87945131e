import * as crypto from 'node:crypto';

/**
 * 48 bits of the sha1 of a line's bytes (without its newline): what the store keeps of each
 * item's line, so that every later re-read of it (resume, missing_records.jsonl, batch chunk
 * files) can tell an edited line from the one that was read. About 1 µs a line. Not a
 * defence against a forged collision: it catches edits, as the size and sample checks do.
 */
export function hashLine(bytes: Uint8Array): number {
  const digest =
    oneShot === undefined ? crypto.createHash('sha1').update(bytes).digest() : oneShot('sha1', bytes, 'buffer');
  return digest.readUIntBE(0, 6);
}

// Node 20.12+ has the one-shot `crypto.hash`, about twice as fast on short inputs as `createHash`.
const oneShot = (crypto as { hash?: (algorithm: string, data: Uint8Array, encoding: 'buffer') => Buffer }).hash;
