/** Stored answers checked again with a prompt set's current rules (`batchpilot validate JOB`), sending nothing. */
import type { PromptSpec } from '../prep/prompt-spec.ts';
import type { AnswerCheck, StoredAnswerCheck } from './answer-check.ts';
import { createAnswerChecker, type AnswerChecker } from './check-answer.ts';

/** One stored answer to check again: its prompt, the body as stored, the source row, the check stored with it. */
export interface StoredAnswer {
  prompt: string;
  responseBody: string | Uint8Array;
  row?: Record<string, unknown>;
  previous?: StoredAnswerCheck | null;
}

export type Revalidation =
  { ok: true; check: AnswerCheck; changed: boolean } | { ok: false; reason: 'unknown_prompt'; prompt: string };

/**
 * For `batchpilot validate JOB`: stored answers checked again with the current rules, sending nothing. Each
 * prompt's checker is compiled on first use (a schema that does not compile throws `OUTPUT_SPEC_INVALID` then);
 * `changed` says whether the status or the issues differ from the stored check, so only changed items are written.
 */
export function createRevalidator(prompts: readonly PromptSpec[]): (answer: StoredAnswer) => Revalidation {
  const byName = new Map(prompts.map((prompt) => [prompt.name, prompt]));
  const checkers = new Map<string, AnswerChecker>();
  return (answer) => {
    const prompt = byName.get(answer.prompt);
    if (prompt === undefined) return { ok: false, reason: 'unknown_prompt', prompt: answer.prompt };
    let checker = checkers.get(prompt.name);
    if (checker === undefined) {
      checker = createAnswerChecker(prompt);
      checkers.set(prompt.name, checker);
    }
    const check = checker(answer.responseBody, answer.row);
    return { ok: true, check, changed: !sameCheck(answer.previous ?? null, check) };
  };
}

function sameCheck(previous: StoredAnswerCheck | null, check: AnswerCheck): boolean {
  if (previous === null || previous.status !== check.status) return false;
  return JSON.stringify(previous.issues) === JSON.stringify(check.issues);
}
