import { createUnreadableError } from '../input/open-input-file.ts';
import { readFileChunks } from '../input/read-file-chunks.ts';
import type { DataFormat } from './data-row.ts';
import { detectDataFormat } from './detect-data-format.ts';
import { openDataText } from './open-data-text.ts';
import { countParquetRows } from './read-parquet-records.ts';

const NEWLINE = 0x0a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN = new Set([0x5b, 0x7b]);
const CLOSE = new Set([0x5d, 0x7d]);
const COMMA = 0x2c;
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * How many rows the data file holds at most, found before the rows are read so every custom_id gets the same
 * `{index}` width: Parquet's footer count; a JSON array's top-level elements (a byte scan that tracks strings and
 * nesting, no parse); the lines of JSONL and CSV (CSV minus its header; a quoted newline counts once too many, which
 * only widens the ids when it crosses a power of ten). One streamed pass, little memory.
 */
export async function countDataRows(path: string, format?: DataFormat): Promise<number> {
  const detected = detectDataFormat(path, format);
  if (detected.format === 'parquet') {
    try {
      return await countParquetRows(path);
    } catch (error) {
      throw createUnreadableError(path, error);
    }
  }
  // Plain files through one reused 1 MiB buffer: a 10 GB file costs 1 MiB here, not a stream of buffers awaiting GC.
  const chunks: AsyncIterable<Buffer> = detected.gzip ? openDataText(path, true) : readFileChunks(path);
  const json = detected.format === 'json';
  let lines = 0;
  let lineHasContent = false;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let elements = 0;
  let pendingElement = false;
  try {
    for await (const chunk of chunks) {
      if (!json) {
        let from = 0;
        for (;;) {
          const newline = chunk.indexOf(NEWLINE, from);
          if (newline === -1) {
            if (from < chunk.length) lineHasContent = true;
            break;
          }
          if (newline > from || lineHasContent) lines += 1;
          lineHasContent = false;
          from = newline + 1;
        }
        continue;
      }
      for (const byte of chunk) {
        if (inString) {
          if (escaped) escaped = false;
          else if (byte === BACKSLASH) escaped = true;
          else if (byte === QUOTE) inString = false;
          continue;
        }
        if (depth === 1 && !pendingElement && !WHITESPACE.has(byte) && !CLOSE.has(byte) && byte !== COMMA) {
          pendingElement = true;
          elements += 1;
        }
        if (byte === QUOTE) inString = true;
        else if (OPEN.has(byte)) depth += 1;
        else if (CLOSE.has(byte)) depth -= 1;
        else if (byte === COMMA && depth === 1) pendingElement = false;
      }
    }
  } catch (error) {
    throw createUnreadableError(path, error);
  }
  if (json) return elements;
  if (lineHasContent) lines += 1;
  return detected.format === 'csv' ? Math.max(0, lines - 1) : lines;
}
