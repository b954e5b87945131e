import { isCovered } from '../../output/join-prompt-answers.ts';
import type { AnswerCount } from '../../store/store.ts';

/**
 * One prompt of a data job as `status --json` shows it: its items (one per row it applies to, and sample) by where
 * they stand, read live from the store (`items.prompt`, docs/decisions/0039). The final figures per prompt are the
 * integration report's.
 */
export interface PromptStatus {
  prompt: string;
  items: number;
  /** Answers that count: valid, repaired, or not checked. */
  valid: number;
  /** The answers by the status of their check (`valid`, `repaired`, `invalid`, `truncated`, `refused`). */
  checks: Record<string, number>;
  failed: number;
  /** Pending or waiting to retry (an answer being re-asked is pending). */
  open: number;
  /** Not sent in this job: not needed by a group, stopped, or over a limit. */
  missing: number;
  /** Valid answers among the answered ones, 0 to 1; null before the first answer. */
  pass_rate: number | null;
}

/** The per-prompt lines of the store's counts (items without a prompt left out), in the order the prompts are met. */
export function toPromptStatuses(counts: readonly AnswerCount[]): PromptStatus[] {
  const byName = new Map<string, PromptStatus & { answered: number }>();
  for (const row of counts) {
    if (row.prompt === null) continue;
    let prompt = byName.get(row.prompt);
    if (prompt === undefined) {
      prompt = {
        prompt: row.prompt,
        items: 0,
        valid: 0,
        checks: {},
        failed: 0,
        open: 0,
        missing: 0,
        pass_rate: null,
        answered: 0,
      };
      byName.set(row.prompt, prompt);
    }
    prompt.items += row.count;
    if (row.state === 'succeeded') {
      prompt.answered += row.count;
      if (row.checkStatus === null || isCovered(row.checkStatus)) prompt.valid += row.count;
      if (row.checkStatus !== null) prompt.checks[row.checkStatus] = (prompt.checks[row.checkStatus] ?? 0) + row.count;
    } else if (row.state === 'failed') prompt.failed += row.count;
    else if (row.state === 'cancelled') prompt.missing += row.count;
    else prompt.open += row.count;
  }
  return [...byName.values()].map(({ answered, ...prompt }) => ({
    ...prompt,
    pass_rate: answered === 0 ? null : Math.round((prompt.valid / answered) * 1000) / 1000,
  }));
}
