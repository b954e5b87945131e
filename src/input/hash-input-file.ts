import { createHash, type Hash } from 'node:crypto';

import { readFileChunks } from './read-file-chunks.ts';

/** The hash of a whole input file's content: what the first read computes as it streams the file. */
export function createInputContentHash(): Hash {
  return createHash('sha256');
}

/**
 * sha256 of the whole file, hex: one sequential read. Resume calls it only when the file's
 * mtime moved since the job was created (see docs/decisions/0010). Fails with `INPUT_UNREADABLE`.
 */
export async function hashInputFile(path: string): Promise<string> {
  const hash = createInputContentHash();
  for await (const chunk of readFileChunks(path)) hash.update(chunk);
  return hash.digest('hex');
}
