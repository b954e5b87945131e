import { LineSplitter } from '../input/line-splitter.ts';
import type { RawLine } from '../input/raw-line.ts';
import type { BatchLineResult } from './provider.ts';

/**
 * The results of a downloaded result file, each line held whole only up to `maxLineBytes`: a longer
 * line comes as `text: null` with its first 1 KB in `head` (see line-splitter.ts), so one
 * oversized result costs that much memory, not its size. readline would hold it whole. Blank lines
 * are skipped, an oversized line fails its own item (`oversizedResultLine`), every other line is
 * read by the adapter's `parse`.
 */
export async function* readResultLines(
  body: AsyncIterable<Uint8Array>,
  maxLineBytes: number,
  parse: (text: string) => BatchLineResult,
): AsyncIterable<BatchLineResult> {
  for await (const line of splitLines(body, maxLineBytes)) {
    if (line.text === null) {
      const oversized = oversizedResultLine(line.head ?? '', line.byteLength, maxLineBytes);
      // A line that does not name its item leaves it without a result: the engine resubmits it.
      if (oversized !== undefined) yield oversized;
      continue;
    }
    if (line.text.trim() === '') continue;
    yield parse(line.text);
  }
}

async function* splitLines(body: AsyncIterable<Uint8Array>, maxLineBytes: number): AsyncIterable<RawLine> {
  const splitter = new LineSplitter({ startByte: 0, startLine: 0, maxLineBytes });
  const lines: RawLine[] = [];
  for await (const chunk of body) {
    splitter.push(
      Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength),
      lines,
    );
    yield* lines;
    lines.length = 0;
  }
  const last = splitter.end();
  if (last !== undefined) yield last;
}

const CUSTOM_ID_IN_HEAD = /"custom_id"\s*:\s*("(?:[^"\\]|\\.)*")/;

/** The `custom_id` a result line's first bytes name, when they name one (OpenAI writes it first, after `id`). */
export function customIdInHead(head: string): string | undefined {
  const match = CUSTOM_ID_IN_HEAD.exec(head);
  if (match?.[1] === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(match[1]);
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A result line over `max_response_bytes`, read no further than its head: its item fails with
 * `response_too_large`, not retried. Undefined when the head names no `custom_id`: the item then
 * comes back without a result, and the engine resubmits it (within `retry.max_attempts`).
 */
export function oversizedResultLine(head: string, byteLength: number, maxBytes: number): BatchLineResult | undefined {
  const customId = customIdInHead(head);
  if (customId === undefined) return undefined;
  const message = `the result line is ${String(byteLength)} bytes, over max_response_bytes (${String(maxBytes)}); raise max_response_bytes to accept it`;
  return {
    customId,
    kind: 'errored',
    error: { code: 'response_too_large', message },
    failureKind: 'response_too_large',
  };
}
