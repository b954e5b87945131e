import type { Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

import { LineSplitter } from './line-splitter.ts';
import { createUnreadableError, openInputFile } from './open-input-file.ts';
import type { RawLine } from './raw-line.ts';

export type { RawLine } from './raw-line.ts';

/** 1 MiB: few system calls per line, small enough to keep two in memory. */
export const DEFAULT_READ_CHUNK_BYTES = 1024 * 1024;

export interface ReadJsonlLinesOptions {
  /**
   * File offset to start reading at; must be the start of a line (a previous `nextByte`).
   * @default 0
   */
  startByte?: number;
  /**
   * Number of lines before `startByte`; the first line yielded is numbered `startLine + 1`.
   * Matches `IngestCursor.line`.
   * @default 0
   */
  startLine?: number;
  /** Lines longer than this many bytes (without the newline) are yielded with `text: null`. Minimum: 1. */
  maxLineBytes: number;
  /**
   * Bytes per read.
   * @default 1048576
   */
  highWaterMark?: number;
  /** Aborting stops the reader before its next read, throwing the signal's reason. */
  signal?: AbortSignal;
  /** Give every line that fits its `lineHash` (see `hashLine`). @default false */
  hashLines?: boolean;
  /**
   * Updated with every byte read, in file order: from `startByte` 0 to the end it is the hash of
   * the whole file, at no extra pass. Complete only once the generator finished.
   */
  contentHash?: Hash;
}

/**
 * Stream the lines of a JSONL file with exact byte offsets.
 *
 * Lazy: the file is read only as lines are pulled, one chunk ahead at most, so a slow consumer
 * is backpressure and memory stays at about two chunks plus the longest line under the limit.
 * Blank lines are yielded (`text: ''`) so the caller can reject them by line number. A UTF-8
 * BOM on the file's first line and a `\r` before each `\n` are left out of `text` and of the
 * offsets. A last line without a newline counts as a line.
 *
 * Fails with `InputError` `INPUT_UNREADABLE` when the file cannot be opened or read.
 */
export async function* readJsonlLines(path: string, options: ReadJsonlLinesOptions): AsyncGenerator<RawLine> {
  for await (const lines of readJsonlLineBatches(path, options)) {
    for (const line of lines) yield line;
  }
}

/**
 * The same lines as `readJsonlLines`, a chunk's worth (about `highWaterMark` bytes) at a time.
 * Awaiting once per chunk instead of once per line roughly halves the reader's cost, and suits a
 * consumer that commits lines in batches anyway. Each array is new; the consumer may keep it.
 */
export async function* readJsonlLineBatches(path: string, options: ReadJsonlLinesOptions): AsyncGenerator<RawLine[]> {
  const startByte = options.startByte ?? 0;
  const startLine = options.startLine ?? 0;
  const chunkBytes = options.highWaterMark ?? DEFAULT_READ_CHUNK_BYTES;
  assertCount('startByte', startByte, 0);
  assertCount('startLine', startLine, 0);
  assertCount('maxLineBytes', options.maxLineBytes, 1);
  assertCount('highWaterMark', chunkBytes, 1);
  const { signal } = options;
  signal?.throwIfAborted();

  const handle = await openInputFile(path);
  const splitter = new LineSplitter({
    startByte,
    startLine,
    maxLineBytes: options.maxLineBytes,
    hashLines: options.hashLines === true,
  });
  // Two buffers: the next read fills one while the consumer still works through lines of the other.
  let current = Buffer.allocUnsafe(chunkBytes);
  let spare = Buffer.allocUnsafe(chunkBytes);
  let position = startByte;
  let nextRead: Promise<number> | undefined = readChunk(handle, path, current, position);
  try {
    for (;;) {
      const bytesRead = await nextRead;
      nextRead = undefined;
      if (bytesRead === 0) break;
      const chunk = current.subarray(0, bytesRead);
      options.contentHash?.update(chunk);
      position += bytesRead;
      [current, spare] = [spare, current];
      signal?.throwIfAborted();
      nextRead = readChunk(handle, path, current, position);
      const lines: RawLine[] = [];
      splitter.push(chunk, lines);
      if (lines.length > 0) yield lines;
    }
    const last = splitter.end();
    if (last !== undefined) yield [last];
  } finally {
    // Let an in-flight read settle before closing; its result (or error) no longer matters.
    await nextRead?.catch(() => undefined);
    await handle.close();
  }
}

async function readChunk(handle: FileHandle, path: string, buffer: Buffer, position: number): Promise<number> {
  try {
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
    return bytesRead;
  } catch (error) {
    throw createUnreadableError(path, error);
  }
}

function assertCount(name: string, value: number, minimum: number): void {
  if (!Number.isSafeInteger(value) || value < minimum) {
    throw new RangeError(`Expected \`${name}\` to be an integer from ${minimum} and up, got \`${String(value)}\``);
  }
}
