import { isCovered } from '../../output/join-prompt-answers.ts';
import type { PromptCount } from '../../store/store.ts';

/**
 * One prompt of a data job as `status --json` shows it: its items (one per row it applies to, and sample) by where
 * they stand, read live from the store (`items.prompt`, docs/decisions/0038). The final figures per prompt are the
 * integration report's.
 */
export interface PromptStatus {
  prompt: string;
  items: number;
  /** Answers that count: valid, repaired, or not checked. */
  valid: number;
  /** Answers that did not pass their check, by status (`invalid`, `truncated`, `refused`). */
  not_valid: Record<string, number>;
  failed: number;
  /** Pending or waiting to retry (an answer being re-asked is pending). */
  open: number;
  /** Not sent in this job: cancelled, over a limit, `when` false, or not needed by a group. */
  missing: number;
  /** Valid answers among the answered ones, 0 to 1; null before the first answer. */
  pass_rate: number | null;
}

/** The per-prompt lines from the store's counts, in the order the prompts are met. */
export function toPromptStatuses(counts: readonly PromptCount[]): PromptStatus[] {
  const byName = new Map<string, PromptStatus>();
  for (const row of counts) {
    let prompt = byName.get(row.prompt);
    if (prompt === undefined) {
      prompt = {
        prompt: row.prompt,
        items: 0,
        valid: 0,
        not_valid: {},
        failed: 0,
        open: 0,
        missing: 0,
        pass_rate: null,
      };
      byName.set(row.prompt, prompt);
    }
    prompt.items += row.count;
    if (row.state === 'succeeded') {
      if (row.checkStatus === null || isCovered(row.checkStatus)) prompt.valid += row.count;
      else prompt.not_valid[row.checkStatus] = (prompt.not_valid[row.checkStatus] ?? 0) + row.count;
    } else if (row.state === 'failed') prompt.failed += row.count;
    else if (row.state === 'cancelled') prompt.missing += row.count;
    else prompt.open += row.count;
  }
  for (const prompt of byName.values()) {
    const notValid = Object.values(prompt.not_valid).reduce((sum, count) => sum + count, 0);
    const answered = prompt.valid + notValid;
    prompt.pass_rate = answered === 0 ? null : Math.round((prompt.valid / answered) * 1000) / 1000;
  }
  return [...byName.values()];
}
