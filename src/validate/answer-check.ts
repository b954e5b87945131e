/**
 * What checking one model answer against its prompt's output spec found (see `check-answer.ts`).
 *
 * - `valid`: the answer is the JSON (or text) asked for and passes the schema and every check.
 * - `repaired`: it passes, but only after `jsonrepair` mended JSON that did not parse; never silently `valid`.
 * - `invalid`: no JSON found, or schema or check errors (each with its path).
 * - `truncated`: the answer was cut at the token limit (`finish_reason: length`, `max_tokens`, `max_output_tokens`).
 * - `refused`: the provider's refusal field or a refusal finish reason.
 *
 * A failed request (`provider_error`) never reaches a check: it is an item error, not an answer.
 */
export const ANSWER_STATUSES = ['valid', 'repaired', 'invalid', 'truncated', 'refused'] as const;
export type AnswerStatus = (typeof ANSWER_STATUSES)[number];

/** One reason an answer is not valid. `path` is a JSON pointer (`/a/0/b`), '' for the whole answer. */
export interface CheckIssue {
  path: string;
  message: string;
}

export interface AnswerCheck {
  status: AnswerStatus;
  /** Parsed JSON (format json) or the text (format text); present for valid/repaired, and invalid when parsed. */
  value?: unknown;
  /** Why not valid (schema, checks, parse, repair, refusal, truncation); empty when valid. */
  issues: CheckIssue[];
  /** The message text the check read. */
  text: string;
}

/** A check as the store keeps it beside its item (`items.check_json`): the text is in the answer body already. */
export type StoredAnswerCheck = Omit<AnswerCheck, 'text'>;

export { toStoredCheck } from '../core/item.ts';
