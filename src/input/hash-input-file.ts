import { createHash, type Hash } from 'node:crypto';

import { createUnreadableError, openInputFile } from './open-input-file.ts';

const CHUNK_BYTES = 1024 * 1024;

/** The hash of a whole input file's content: what the first read computes as it streams the file. */
export function createInputContentHash(): Hash {
  return createHash('sha256');
}

/**
 * sha256 of the whole file, hex: one sequential read. Resume calls it only when the file's
 * mtime moved since the job was created (see docs/decisions/0010). Fails with `INPUT_UNREADABLE`.
 */
export async function hashInputFile(path: string): Promise<string> {
  const handle = await openInputFile(path);
  try {
    const hash = createInputContentHash();
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    let position = 0;
    for (;;) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await handle.read(buffer, 0, buffer.length, position));
      } catch (error) {
        throw createUnreadableError(path, error);
      }
      if (bytesRead === 0) return hash.digest('hex');
      hash.update(buffer.subarray(0, bytesRead));
      position += bytesRead;
    }
  } finally {
    await handle.close();
  }
}
