import { openInputFile, createUnreadableError } from './open-input-file.ts';

const CHUNK_BYTES = 1024 * 1024;
const NEWLINE = 0x0a;

/**
 * How many lines with content the file holds from `startByte` (a line start) to its end: the
 * lines a job has not read yet, each of which resume reads and sends unless it is rejected.
 * Blank lines (nothing, or only `\r`, spaces and tabs) are not counted: they are rejects.
 * Reads the rest of the file once, finding newlines natively; fails with `INPUT_UNREADABLE`.
 */
export async function countLinesFrom(path: string, startByte: number): Promise<number> {
  const handle = await openInputFile(path);
  try {
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    let position = startByte;
    let count = 0;
    let lineHasContent = false;
    for (;;) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await handle.read(buffer, 0, buffer.length, position));
      } catch (error) {
        throw createUnreadableError(path, error);
      }
      if (bytesRead === 0) break;
      position += bytesRead;
      let from = 0;
      while (from < bytesRead) {
        const newline = buffer.indexOf(NEWLINE, from);
        const end = newline === -1 || newline >= bytesRead ? bytesRead : newline;
        if (!lineHasContent && hasContent(buffer, from, end)) lineHasContent = true;
        if (end === bytesRead) break;
        if (lineHasContent) count += 1;
        lineHasContent = false;
        from = end + 1;
      }
    }
    return lineHasContent ? count + 1 : count;
  } finally {
    await handle.close();
  }
}

function hasContent(bytes: Buffer, start: number, end: number): boolean {
  for (let index = start; index < end; index++) {
    const byte = bytes[index];
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d) return true;
  }
  return false;
}
