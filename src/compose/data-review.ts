import type { AnswerReview } from '../engine/answer-review.ts';
import { readManifestRows } from '../prep/manifest.ts';
import { promptOfCustomId } from '../prep/prompt-of-custom-id.ts';
import type { PromptSet, PromptSpec } from '../prep/prompt-spec.ts';
import { coveredRowFields } from '../prep/row-context.ts';
import type { StoredAnswerCheck } from '../validate/answer-check.ts';
import { buildReask, decideReask } from '../validate/build-reask.ts';
import { createAnswerChecker, type AnswerChecker } from '../validate/check-answer.ts';

/** What a data job's answers are checked with: its prompts, and where an item's prompt and row context come from. */
export interface DataJobIndex {
  promptOf(customId: string): PromptSpec | undefined;
  /** The row fields `covers` checks read (`ManifestRow.context`), when the item's row has any. */
  rowOf(customId: string): Record<string, unknown> | undefined;
}

/**
 * Indexes a data job's items by custom_id. The prompt is read from the id itself (`promptOfCustomId`) unless the
 * custom_id format has no `{prompt}`; the manifest is read only when the ids cannot say or a `covers` check needs
 * row fields, and then only what those need is kept (equal contexts share one object: a list of required dimensions
 * that is the same for every row costs one copy). `manifestRows` is the manifest's path, or opens its text (a
 * worker reads it from the shared store).
 */
export async function indexDataJob(
  set: PromptSet,
  manifestRows: string | (() => Promise<NodeJS.ReadableStream>),
): Promise<DataJobIndex> {
  const byName = new Map(set.prompts.map((prompt) => [prompt.name, prompt]));
  const parse = promptOfCustomId(set);
  const promptNames = parse === undefined ? new Map<string, string>() : undefined;
  const contexts = new Map<string, Record<string, unknown>>();
  if (indexReadsManifest(set)) {
    const shared = new Map<string, Record<string, unknown>>();
    const rows = readManifestRows(typeof manifestRows === 'string' ? manifestRows : await manifestRows());
    for await (const row of rows) {
      let context = row.context;
      if (context !== undefined) {
        const text = JSON.stringify(context);
        context = shared.get(text) ?? context;
        shared.set(text, context);
      }
      for (const [name, entry] of Object.entries(row.prompts)) {
        if (!Array.isArray(entry)) continue;
        for (const id of entry) {
          promptNames?.set(id, name);
          if (context !== undefined) contexts.set(id, context);
        }
      }
    }
  }
  return {
    promptOf: (customId) => {
      const name = parse === undefined ? promptNames?.get(customId) : parse(customId);
      return name === undefined ? undefined : byName.get(name);
    },
    rowOf: (customId) => contexts.get(customId),
  };
}

/** Whether indexing the job's answers reads its manifest: its custom_ids do not name the prompt, or a check reads row fields. */
export function indexReadsManifest(set: PromptSet): boolean {
  return promptOfCustomId(set) === undefined || coveredRowFields(set).length > 0;
}

/**
 * The engine's answer review for a data job (engine/answer-review.ts): each answer checked against its prompt's
 * output spec, re-asked by the prompt's `reask` rules. Every checker is compiled here, before anything is sent, so a
 * schema that does not compile stops the job at once (`OUTPUT_SPEC_INVALID`).
 */
export function createDataReview(set: PromptSet, index: DataJobIndex): AnswerReview {
  const checkers = new Map<string, AnswerChecker>(
    set.prompts.map((prompt) => [prompt.name, createAnswerChecker(prompt)]),
  );
  const promptFor = (customId: string): PromptSpec => {
    const prompt = index.promptOf(customId);
    if (prompt === undefined) throw new Error(`custom_id "${customId}" belongs to none of the job's prompts`);
    return prompt;
  };
  return {
    check: (item, body, parsedBody) => {
      const checker = checkers.get(promptFor(item.customId).name) as AnswerChecker;
      return checker(body, index.rowOf(item.customId), 0, parsedBody);
    },
    // The stored checks are this review's own (`check` above), so their statuses are validate's.
    shouldReask: (item, check) =>
      decideReask(check as StoredAnswerCheck, promptFor(item.customId), item.reasks) !== null,
    reask: (item, original, previous) =>
      buildReask(
        original,
        promptFor(item.customId),
        { responseBody: previous.responseBody, check: previous.check as StoredAnswerCheck },
        item.reasks + 1,
      ),
    promptOf: (customId) => index.promptOf(customId)?.name,
  };
}
