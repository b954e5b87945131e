import { readFileChunks } from './read-file-chunks.ts';

const NEWLINE = 0x0a;

/**
 * How many lines with content the file holds from `startByte` (a line start) to its end: the
 * lines a job has not read yet, each of which resume reads and sends unless it is rejected.
 * Blank lines (nothing, or only `\r`, spaces and tabs) are not counted: they are rejects.
 * Reads the rest of the file once, finding newlines natively; fails with `INPUT_UNREADABLE`.
 */
export async function countLinesFrom(path: string, startByte: number): Promise<number> {
  let count = 0;
  let lineHasContent = false;
  for await (const chunk of readFileChunks(path, startByte)) {
    let from = 0;
    while (from < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, from);
      const end = newline === -1 ? chunk.length : newline;
      if (!lineHasContent && hasContent(chunk, from, end)) lineHasContent = true;
      if (end === chunk.length) break;
      if (lineHasContent) count += 1;
      lineHasContent = false;
      from = end + 1;
    }
  }
  return lineHasContent ? count + 1 : count;
}

function hasContent(bytes: Buffer, start: number, end: number): boolean {
  for (let index = start; index < end; index++) {
    const byte = bytes[index];
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d) return true;
  }
  return false;
}
