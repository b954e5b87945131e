import { isJsonObject } from './describe-json-type.ts';
import { readJsonlLines } from './read-jsonl-lines.ts';

/** The line shapes batchpilot reads (SPEC section 3). */
export type InputFormat = 'openai_batch' | 'messages';

/** `input.format`: a shape, or `auto` to detect it per file. */
export type InputFormatOption = InputFormat | 'auto';

/**
 * The shape of one parsed line, or `undefined` when it has neither.
 *
 * A line with the messages key is a message row, even if it also has `custom_id` and `body`:
 * batch lines keep their messages inside `body`, while rows often carry metadata such as a post's
 * `body`. Otherwise a line with `body` and either `custom_id` or `url` is an OpenAI batch line.
 */
export function detectLineFormat(value: Record<string, unknown>, messagesKey: string): InputFormat | undefined {
  if (Object.hasOwn(value, messagesKey)) return 'messages';
  if (Object.hasOwn(value, 'body') && (Object.hasOwn(value, 'custom_id') || Object.hasOwn(value, 'url'))) {
    return 'openai_batch';
  }
  return undefined;
}

export interface DetectInputFormatOptions {
  messagesKey: string;
  maxLineBytes: number;
  /**
   * Give up after this many lines without a recognisable one.
   * @default 1000
   */
  maxLines?: number;
  signal?: AbortSignal;
}

/**
 * The format of a file, from its first line that is a JSON object of a recognisable shape
 * (the same rule the line parser applies in `auto` mode), with that line's number. Reads only
 * as far as that line. `undefined` when no such line is found within `maxLines`.
 */
export async function detectInputFormat(
  path: string,
  options: DetectInputFormatOptions,
): Promise<{ format: InputFormat; lineNo: number } | undefined> {
  const maxLines = options.maxLines ?? 1000;
  const readOptions = { maxLineBytes: options.maxLineBytes, ...(options.signal && { signal: options.signal }) };
  for await (const line of readJsonlLines(path, readOptions)) {
    if (line.lineNo > maxLines) return undefined;
    if (line.text === null || line.text === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line.text);
    } catch {
      continue;
    }
    if (!isJsonObject(value)) continue;
    const format = detectLineFormat(value, options.messagesKey);
    if (format !== undefined) return { format, lineNo: line.lineNo };
  }
  return undefined;
}
