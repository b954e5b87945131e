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
