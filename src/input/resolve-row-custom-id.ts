import { describeJsonType } from './describe-json-type.ts';
import { CUSTOM_ID_MAX_LENGTH } from './input-line-schemas.ts';

/** A line's custom id, and whether the line named it (`explicit`) or it is the line number; or why it is unusable. */
export type RowCustomId = { ok: true; customId: string; explicit: boolean } | { ok: false; reason: string };

/**
 * The custom id of a line that is not in OpenAI batch format (message rows, command tasks): its `custom_id`, else its
 * `id` (a number is taken as its text), else its line number. A null field counts as absent.
 */
export function resolveRowCustomId(row: Record<string, unknown>, lineNo: number): RowCustomId {
  for (const key of ['custom_id', 'id'] as const) {
    const value = row[key];
    if (value === undefined || value === null) continue;
    if (typeof value === 'number') return { ok: true, customId: String(value), explicit: true };
    if (typeof value !== 'string') {
      return { ok: false, reason: `"${key}" must be a string or number, got ${describeJsonType(value)}` };
    }
    if (value === '')
      return { ok: false, reason: `"${key}" must not be empty; remove it to number the row by its line` };
    if (value.length > CUSTOM_ID_MAX_LENGTH) {
      return {
        ok: false,
        reason: `"${key}" is ${value.length} characters, over the ${CUSTOM_ID_MAX_LENGTH}-character limit`,
      };
    }
    return { ok: true, customId: value, explicit: true };
  }
  return { ok: true, customId: String(lineNo), explicit: false };
}
