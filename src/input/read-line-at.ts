import type { FileHandle } from 'node:fs/promises';

import { InputError } from '../errors/index.ts';
import { hashLine } from './hash-line.ts';
import { createUnreadableError, openInputFile } from './open-input-file.ts';

/** Where a line sits in the input file; `ItemLocation` and `RawLine` both fit. */
export interface LineSpan {
  byteOffset: number;
  /** Without the newline. */
  byteLength: number;
  /** `hashLine` of the line as it was first read: a re-read that differs fails with `INPUT_CHANGED`. */
  lineHash?: number | null;
  /** Named in that error. */
  lineNo?: number;
}

/** Reads single lines back from the input file by position, e.g. the bodies of unfinished items on resume. */
export interface LineReader {
  read(byteOffset: number, byteLength: number): Promise<string>;
  /**
   * Read many lines at once, returned in the order given. Sorted and nearby lines are read
   * together in reads of up to 1 MiB, so reading every unfinished item of a job is a
   * sequential scan rather than one system call per line.
   */
  readMany(spans: readonly LineSpan[]): Promise<string[]>;
  close(): Promise<void>;
}

/** Largest single read `readMany` makes for a group of lines. */
const GROUP_MAX_BYTES = 1024 * 1024;
/** Lines closer than this are read in one go, the gap read and thrown away. */
const GROUP_MAX_GAP_BYTES = 64 * 1024;

/**
 * Open the input file for positional reads. Fails with `INPUT_UNREADABLE` when it cannot be
 * opened, and a read fails with `INPUT_CHANGED` when the file is now too short for the span,
 * or (`readMany`) when a span's line no longer has the `lineHash` it was read with: an edited
 * line is never sent or written under its old id.
 */
export async function createLineReader(path: string): Promise<LineReader> {
  const handle = await openInputFile(path);
  return {
    async read(byteOffset, byteLength) {
      const bytes = await readExactly(handle, path, byteOffset, byteLength);
      return bytes.toString('utf8');
    },
    async readMany(spans) {
      const texts = new Array<string>(spans.length);
      const order = spans.map((_, index) => index).sort((a, b) => spans[a]!.byteOffset - spans[b]!.byteOffset);
      let groupStart = 0;
      while (groupStart < order.length) {
        const first = spans[order[groupStart]!]!;
        let groupEnd = groupStart + 1;
        let end = first.byteOffset + first.byteLength;
        while (groupEnd < order.length) {
          const next = spans[order[groupEnd]!]!;
          const nextEnd = Math.max(end, next.byteOffset + next.byteLength);
          if (next.byteOffset - end > GROUP_MAX_GAP_BYTES || nextEnd - first.byteOffset > GROUP_MAX_BYTES) break;
          end = nextEnd;
          groupEnd++;
        }
        const bytes = await readExactly(handle, path, first.byteOffset, end - first.byteOffset);
        for (let position = groupStart; position < groupEnd; position++) {
          const index = order[position]!;
          const span = spans[index]!;
          const start = span.byteOffset - first.byteOffset;
          if (span.lineHash !== undefined && span.lineHash !== null) {
            assertSameLine(path, span, hashLine(bytes.subarray(start, start + span.byteLength)));
          }
          texts[index] = bytes.toString('utf8', start, start + span.byteLength);
        }
        groupStart = groupEnd;
      }
      return texts;
    },
    async close() {
      await handle.close();
    },
  };
}

async function readExactly(handle: FileHandle, path: string, byteOffset: number, byteLength: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(byteLength);
  let filled = 0;
  while (filled < byteLength) {
    let bytesRead: number;
    try {
      ({ bytesRead } = await handle.read(buffer, filled, byteLength - filled, byteOffset + filled));
    } catch (error) {
      throw createUnreadableError(path, error);
    }
    if (bytesRead === 0) {
      throw new InputError(
        'INPUT_CHANGED',
        `input file ${path} ends before byte ${byteOffset + byteLength}, where a line of this job should end; it changed since the job started: restore the original file, or run a new job`,
        { context: { file: path } },
      );
    }
    filled += bytesRead;
  }
  return buffer;
}

function assertSameLine(path: string, span: LineSpan, actual: number): void {
  if (actual === span.lineHash) return;
  const where =
    span.lineNo === undefined ? `the line at byte ${String(span.byteOffset)}` : `line ${String(span.lineNo)}`;
  throw new InputError(
    'INPUT_CHANGED',
    `${where} of input file ${path} changed since the job read it; restore the original file, or run a new job`,
    { context: span.lineNo === undefined ? { file: path } : { file: path, line: span.lineNo } },
  );
}
