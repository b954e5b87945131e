import type { BatchLineResult } from './provider.ts';

/**
 * A batch result line that could not be read, with the custom id its text still shows (a line cut short often keeps
 * it), else none: the engine settles that one item and reads on, since a retry would read the same line again.
 */
export function unreadableLine(text: string, reason: string): BatchLineResult {
  const match = /"custom_id"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(text);
  let customId: string | null = null;
  if (match?.[1] !== undefined) {
    try {
      customId = JSON.parse(`"${match[1]}"`) as string;
    } catch {
      customId = null;
    }
  }
  return { customId, kind: 'unreadable', reason };
}
