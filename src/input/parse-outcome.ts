import type { PreparedRequest } from '../core/item.ts';

/** An input line that is valid JSON with an object at its top, handed to a format's parser. */
export interface JsonLine {
  /** The parsed line. */
  value: Record<string, unknown>;
  /** The line's text, from which bodies are sliced. */
  text: string;
  /** 1-based line number. */
  lineNo: number;
}

/** What a format's parser made of one line: a request, or why not (`customId` when it was readable). */
export type ParseOutcome =
  { ok: true; customId: string; request: PreparedRequest } | { ok: false; reason: string; customId?: string };
