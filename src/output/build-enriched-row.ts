import type { EnrichPrompt } from './answer-record.ts';
import type { JoinedSlot } from './join-prompt-answers.ts';

/** How answers sit in a row: `nested` (one field per prompt holding the value) or `flat` (`prompt.a.b` keys). */
export type EnrichedFields = 'nested' | 'flat';

export interface BuildEnrichedRowOptions {
  fields: EnrichedFields;
  /** Adds `{prompt}__meta`: model, attempts, re-asks, tokens and cost of the answer. */
  meta: boolean;
}

/** The `__meta` of one answer (`integrate.meta: true`). */
export interface AnswerMeta {
  model: string | null;
  attempts: number;
  reasks: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number | null;
}

/**
 * One enriched row: the source row's own fields in their order, then per prompt (in the prompts' order) its value,
 * `{prompt}__status`, `{prompt}__error` (null when there is nothing to say) and, with `meta`, `{prompt}__meta`.
 * With `samples > 1` each of these is an array, one entry per sample. A source field with the name of one of these
 * fields is replaced (an enriched file enriched again gets fresh answers, not two fields of one name).
 * In `flat` mode, objects (of the source row, a value, the meta) become `a.b.c` keys; arrays stay whole, and a
 * prompt without a value adds no value key (its `__status` says why). The key order depends on the inputs only,
 * so the same store gives the same bytes.
 */
export function buildEnrichedRow(
  source: Readonly<Record<string, unknown>>,
  prompts: readonly EnrichPrompt[],
  slots: readonly (readonly JoinedSlot[])[],
  options: BuildEnrichedRowOptions,
): Record<string, unknown> {
  const added: [string, unknown][] = [];
  prompts.forEach((prompt, promptNo) => {
    const promptSlots = slots[promptNo] ?? [];
    const many = prompt.samples > 1;
    const pick = <T>(read: (slot: JoinedSlot) => T): T | T[] =>
      many ? promptSlots.map(read) : read(promptSlots[0] ?? missingSlot);
    const value = pick((slot) => slot.value);
    if (options.fields === 'flat') {
      if (value !== null) flattenInto(added, prompt.name, value);
    } else {
      added.push([prompt.name, value]);
    }
    added.push([`${prompt.name}__status`, pick((slot) => slot.status)]);
    added.push([`${prompt.name}__error`, pick((slot) => slot.error)]);
    if (options.meta) {
      const meta = pick(answerMeta);
      if (options.fields === 'flat' && !many && meta !== null) flattenInto(added, `${prompt.name}__meta`, meta);
      else added.push([`${prompt.name}__meta`, meta]);
    }
  });
  const row: Record<string, unknown> = {};
  const sourceEntries: [string, unknown][] = [];
  if (options.fields === 'flat') {
    for (const [key, value] of Object.entries(source)) flattenInto(sourceEntries, key, value);
  } else {
    sourceEntries.push(...Object.entries(source));
  }
  const replaced = new Set(added.map(([key]) => key));
  for (const [key, value] of sourceEntries) if (!replaced.has(key)) row[key] = value;
  for (const [key, value] of added) row[key] = value;
  return row;
}

const missingSlot: JoinedSlot = { status: 'missing', value: null, error: 'no answer', answer: undefined };

function answerMeta(slot: JoinedSlot): AnswerMeta | null {
  const answer = slot.answer;
  if (answer === undefined) return null;
  return {
    model: answer.model ?? null,
    attempts: answer.attempts,
    reasks: answer.reasks,
    input_tokens: answer.usage?.inputTokens ?? 0,
    output_tokens: answer.usage?.outputTokens ?? 0,
    cost_usd: answer.costUsd ?? null,
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `{a: {b: 1}}` under `p` -> `p.a.b: 1`; an empty object stays `p: {}`, arrays stay whole. */
function flattenInto(target: [string, unknown][], prefix: string, value: unknown): void {
  if (!isPlainObject(value) || Object.keys(value).length === 0) {
    target.push([prefix, value]);
    return;
  }
  for (const [key, inner] of Object.entries(value)) flattenInto(target, `${prefix}.${key}`, inner);
}
