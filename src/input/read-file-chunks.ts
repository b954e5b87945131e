import { createUnreadableError, openInputFile } from './open-input-file.ts';

const CHUNK_BYTES = 1024 * 1024;

/**
 * The bytes of a file from `startByte` to its end, in chunks of up to 1 MiB read in order into ONE reused buffer:
 * each chunk is valid only until the next is asked for. For whole-file passes that keep nothing of the bytes
 * (a hash, a line count); an open or read failure is `INPUT_UNREADABLE`.
 */
export async function* readFileChunks(path: string, startByte = 0): AsyncGenerator<Buffer> {
  const handle = await openInputFile(path);
  try {
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    let position = startByte;
    for (;;) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await handle.read(buffer, 0, buffer.length, position));
      } catch (error) {
        throw createUnreadableError(path, error);
      }
      if (bytesRead === 0) return;
      position += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}
