import type { AnswerRecord, ManifestRowPrompt } from './answer-record.ts';

/**
 * The state of one (row, prompt, sample) in the enriched dataset: exactly one of these, whatever was killed when.
 * - valid, repaired, invalid, truncated, refused: answered; the check's verdict (`repaired`: the JSON needed
 *   `jsonrepair` and then passed the schema and checks).
 * - failed: the request failed (retries ran out or the error was not retryable).
 * - missing: should have an answer and has none (never sent, cancelled, pending, or not in the store).
 * - skipped: the prompt's `when` is false for the row, or the row's group had reached its target
 *   (`__error`: `target_reached`, docs/decisions/0024): no answer was wanted.
 * - rejected: the row could not be rendered for the prompt (a missing template variable, a `when` that fails):
 *   no request was sent, but an answer was wanted; `__error` holds prepare's reason.
 */
export type SlotStatus =
  'valid' | 'repaired' | 'invalid' | 'truncated' | 'refused' | 'failed' | 'missing' | 'skipped' | 'rejected';

export const SLOT_STATUSES: readonly SlotStatus[] = [
  'valid',
  'repaired',
  'invalid',
  'truncated',
  'refused',
  'failed',
  'missing',
  'skipped',
  'rejected',
];

/**
 * The statuses whose answer counts: its value is written, it covers its row (see docs/decisions/0018), it counts
 * toward its group's target and goes to the sinks. A stored check's status is one of them or another verdict.
 */
export function isCovered(status: string): boolean {
  return status === 'valid' || status === 'repaired';
}

/** One sample of one prompt for one row. */
export interface JoinedSlot {
  status: SlotStatus;
  /** The parsed value (text for `format: text`) of a valid or repaired answer; null otherwise. */
  value: unknown;
  /** Why not valid, short; null when there is nothing to say. */
  error: string | null;
  /** The stored answer, when the store has one. */
  answer: AnswerRecord | undefined;
}

/** Issues shown in `__error`; the rest are counted ("+N more"). */
const ERROR_ISSUES = 3;
/** Longest `__error` text, in characters. */
const ERROR_MAX_CHARS = 300;

/** The slots of one prompt for one row, one per sample, from the manifest's entry and the store's answers. */
export function joinPromptAnswers(
  entry: ManifestRowPrompt | undefined,
  samples: number,
  answers: ReadonlyMap<string, AnswerRecord>,
): JoinedSlot[] {
  if (entry === undefined) return repeat(samples, slot('missing', 'not in the prepare manifest'));
  if ('skipped' in entry) return repeat(samples, slot('skipped', null));
  if ('rejected' in entry) return repeat(samples, slot('rejected', shorten(entry.rejected)));
  return entry.map((customId) => joinAnswer(answers.get(customId)));
}

function joinAnswer(answer: AnswerRecord | undefined): JoinedSlot {
  if (answer === undefined) return slot('missing', 'no answer in the store');
  switch (answer.state) {
    case 'succeeded': {
      const check = answer.check;
      if (check === undefined) {
        return { ...slot('invalid', 'answer never checked: run `batchpilot validate JOB`'), answer };
      }
      const covered = isCovered(check.status);
      return {
        status: check.status,
        value: covered ? (check.value ?? null) : null,
        error: check.status === 'valid' ? null : formatIssues(check.issues),
        answer,
      };
    }
    case 'failed': {
      const error = answer.error === undefined ? 'failed' : `${answer.error.code}: ${answer.error.message}`;
      return { ...slot('failed', shorten(error)), answer };
    }
    default:
      if (answer.targetReached === true) return { ...slot('skipped', 'target_reached'), answer };
      return { ...slot('missing', `not answered (${answer.state})`), answer };
  }
}

/** The first issues as `path: message`, joined with `; `, cut to a few hundred characters. */
export function formatIssues(issues: readonly { path: string; message: string }[]): string | null {
  if (issues.length === 0) return null;
  const shown = issues
    .slice(0, ERROR_ISSUES)
    .map((issue) => `${issue.path === '' ? '/' : issue.path}: ${issue.message}`);
  const more = issues.length > ERROR_ISSUES ? ` (+${String(issues.length - ERROR_ISSUES)} more)` : '';
  return shorten(shown.join('; ') + more);
}

function shorten(text: string): string {
  return text.length <= ERROR_MAX_CHARS ? text : `${text.slice(0, ERROR_MAX_CHARS - 1)}…`;
}

function slot(status: SlotStatus, error: string | null): JoinedSlot {
  return { status, value: null, error, answer: undefined };
}

function repeat(count: number, value: JoinedSlot): JoinedSlot[] {
  return Array.from({ length: Math.max(1, count) }, () => value);
}
