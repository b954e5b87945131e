import { isUtf8 } from 'node:buffer';

import { REJECT_RAW_MAX_BYTES } from '../core/reject.ts';
import { findInvalidUtf8 } from './find-invalid-utf8.ts';
import { hashLine } from './hash-line.ts';
import type { RawLine } from './raw-line.ts';
import { truncateUtf8Bytes } from './truncate-utf8.ts';

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const EMPTY = Buffer.alloc(0);
const BOM_BYTES = 3;
/** Bytes kept of a skipped line: enough for the reject's `raw` after a possible BOM. */
const HEAD_MAX_BYTES = REJECT_RAW_MAX_BYTES + BOM_BYTES;

export interface LineSplitterOptions {
  /** File offset of the first byte that will be pushed. */
  startByte: number;
  /** Lines before `startByte`; the first line emitted is numbered `startLine + 1`. */
  startLine: number;
  /** Longer lines are emitted with `text: null` and are never held in memory whole. */
  maxLineBytes: number;
  /** Give every line that fits its `lineHash`. @default false */
  hashLines?: boolean;
}

/**
 * Splits a byte stream into lines on 0x0A, keeping exact file offsets.
 *
 * It works on bytes and decodes each finished line on its own, so a multibyte character cut by a
 * chunk boundary is never mis-decoded and offsets never drift. A line that straddles chunks is
 * copied (the caller reuses its read buffer); once that copy passes `maxLineBytes` the splitter
 * keeps only the first 1 KB and counts the rest until the newline.
 */
export class LineSplitter {
  readonly #maxLineBytes: number;
  readonly #hashLines: boolean;
  /** Most bytes held for an unfinished line before skipping it: the limit plus a `\r` (plus a BOM on line 1). */
  readonly #holdLimit: number;
  #lineNo: number;
  /** File offset of the first byte of the unfinished line. */
  #lineStart: number;
  /** File offset of the next byte to be pushed. */
  #position: number;
  #parts: Buffer[] = [];
  #partsLength = 0;
  #skipping = false;
  /** The first bytes of a line being skipped. */
  #headBytes = EMPTY;
  /** Last byte of the unfinished line seen so far, to spot a `\r` just before a chunk boundary. */
  #lastByte = -1;

  constructor(options: LineSplitterOptions) {
    this.#maxLineBytes = options.maxLineBytes;
    this.#hashLines = options.hashLines === true;
    this.#holdLimit = options.maxLineBytes + 1;
    this.#lineNo = options.startLine;
    this.#lineStart = options.startByte;
    this.#position = options.startByte;
  }

  /** Bytes held for the unfinished line: at most `maxLineBytes` plus 4, however long the line. */
  get heldBytes(): number {
    return this.#partsLength;
  }

  /** Split `chunk`, appending every finished line to `lines`. `chunk` may be overwritten after the call. */
  push(chunk: Buffer, lines: RawLine[]): void {
    const chunkStart = this.#position;
    this.#position += chunk.length;
    let from = 0;
    for (;;) {
      const newline = chunk.indexOf(NEWLINE, from);
      if (newline === -1) break;
      lines.push(this.#finishLine(chunk, from, newline, chunkStart + newline, chunkStart + newline + 1));
      from = newline + 1;
      this.#lineStart = chunkStart + from;
    }
    if (from < chunk.length) this.#hold(chunk, from);
  }

  /** The last line when the file does not end with a newline. */
  end(): RawLine | undefined {
    if (this.#position === this.#lineStart) return undefined;
    const line = this.#finishLine(EMPTY, 0, 0, this.#position, this.#position);
    this.#lineStart = this.#position;
    return line;
  }

  /** `chunk[from, end)` is the line's last piece; `lineEnd` is the file offset of its newline (or of EOF). */
  #finishLine(chunk: Buffer, from: number, end: number, lineEnd: number, nextByte: number): RawLine {
    this.#lineNo++;
    if (this.#skipping) return this.#finishSkippedLine(chunk, from, end, lineEnd, nextByte);
    if (this.#partsLength === 0) return this.#createLine(chunk, from, end, nextByte);
    this.#parts.push(chunk.subarray(from, end));
    const whole = Buffer.concat(this.#parts, this.#partsLength + end - from);
    this.#parts = [];
    this.#partsLength = 0;
    return this.#createLine(whole, 0, whole.length, nextByte);
  }

  /** `bytes[start]` is the line's first byte (at `#lineStart`), `bytes[end]` its newline. */
  #createLine(bytes: Buffer, start: number, end: number, nextByte: number): RawLine {
    let contentStart = start;
    let contentEnd = end;
    if (contentEnd > contentStart && bytes[contentEnd - 1] === CARRIAGE_RETURN) contentEnd--;
    if (this.#lineStart === 0 && hasBom(bytes, contentStart, contentEnd)) contentStart += 3;
    const byteOffset = this.#lineStart + contentStart - start;
    const byteLength = contentEnd - contentStart;
    if (byteLength > this.#maxLineBytes) {
      const head = truncateUtf8Bytes(bytes.subarray(contentStart, contentEnd), REJECT_RAW_MAX_BYTES);
      return { lineNo: this.#lineNo, byteOffset, byteLength, text: null, head, nextByte };
    }
    const text = bytes.toString('utf8', contentStart, contentEnd);
    const content = bytes.subarray(contentStart, contentEnd);
    const line: RawLine = { lineNo: this.#lineNo, byteOffset, byteLength, text, nextByte };
    if (this.#hashLines) line.lineHash = hashLine(content);
    // Decoding alone would turn a bad byte into U+FFFD and send a request the file never held.
    if (!isUtf8(content)) line.invalidUtf8At = findInvalidUtf8(content);
    return line;
  }

  #finishSkippedLine(chunk: Buffer, from: number, end: number, lineEnd: number, nextByte: number): RawLine {
    this.#keepHead(chunk, from, end);
    const lastByte = end > from ? chunk[end - 1] : this.#lastByte;
    const bomLength = this.#lineStart === 0 && hasBom(this.#headBytes, 0, this.#headBytes.length) ? BOM_BYTES : 0;
    const byteOffset = this.#lineStart + bomLength;
    const byteLength = lineEnd - byteOffset - (lastByte === CARRIAGE_RETURN ? 1 : 0);
    const headEnd = Math.min(this.#headBytes.length, bomLength + byteLength);
    const head = truncateUtf8Bytes(this.#headBytes.subarray(bomLength, headEnd), REJECT_RAW_MAX_BYTES);
    this.#skipping = false;
    this.#headBytes = EMPTY;
    this.#lastByte = -1;
    return { lineNo: this.#lineNo, byteOffset, byteLength, text: null, head, nextByte };
  }

  /** Keep the unfinished tail of a chunk, or only its first bytes once the line is over the limit. */
  #hold(chunk: Buffer, from: number): void {
    this.#lastByte = chunk[chunk.length - 1] ?? -1;
    if (this.#skipping) {
      this.#keepHead(chunk, from, chunk.length);
      return;
    }
    // Copy: the reader reuses its buffer for the next chunk.
    this.#parts.push(Buffer.from(chunk.subarray(from)));
    this.#partsLength += chunk.length - from;
    const bomAllowance = this.#lineStart === 0 ? BOM_BYTES : 0;
    if (this.#partsLength <= this.#holdLimit + bomAllowance) return;
    this.#headBytes = Buffer.concat(this.#parts, Math.min(this.#partsLength, HEAD_MAX_BYTES));
    this.#parts = [];
    this.#partsLength = 0;
    this.#skipping = true;
  }

  /** Add to the head of a skipped line until it has `HEAD_MAX_BYTES`. */
  #keepHead(chunk: Buffer, from: number, end: number): void {
    const missing = HEAD_MAX_BYTES - this.#headBytes.length;
    if (missing <= 0 || end <= from) return;
    this.#headBytes = Buffer.concat([this.#headBytes, chunk.subarray(from, Math.min(end, from + missing))]);
  }
}

function hasBom(bytes: Buffer, start: number, end: number): boolean {
  return end - start >= 3 && bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf;
}
