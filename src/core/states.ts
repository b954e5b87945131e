/**
 * Item and job lifecycles (SPEC section 2).
 *
 * Item states
 * - pending:    known to the store, not yet sent (or sent by a process that died; see below). Also an
 *               answered item whose answer failed its check and is asked again (a re-ask): it keeps
 *               its answer and counts `reasks` (docs/decisions/0019), so `pending -> pending` is a move.
 * - in_flight:  a request is out. Never persisted as such by the SQLite store: a crash
 *               mid-request leaves the item `pending`, so resume simply sends it again.
 * - retry_wait: the last attempt failed with a retryable error; waits for its backoff.
 * - succeeded:  a response body is committed. Terminal, but `retry JOB --invalid` moves a data job's answer that
 *               ended invalid or truncated back to pending for one re-ask more, its answer kept (decision 0039).
 * - failed:     retries ran out or the error was not retryable. Terminal, but `retry JOB`
 *               moves it back to pending.
 * - cancelled:  will not be sent in this run (interrupted, over `limit`); it shows up in
 *               missing_records.jsonl with its reason. `resume` moves it back to pending
 *               unless the reason is `limit`.
 *
 * Job states
 * - created -> running -> finalizing -> completed | failed | cancelled
 * - running -> interrupted when stopped by Ctrl-C/SIGTERM (state committed, resumable);
 *   a `running` job whose lease went stale (kill -9) is also shown as interrupted.
 */
export const ITEM_STATES = {
  pending: 'pending',
  in_flight: 'in_flight',
  retry_wait: 'retry_wait',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
} as const;
export type ItemState = (typeof ITEM_STATES)[keyof typeof ITEM_STATES];

export const JOB_STATES = {
  created: 'created',
  running: 'running',
  finalizing: 'finalizing',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
  interrupted: 'interrupted',
} as const;
export type JobState = (typeof JOB_STATES)[keyof typeof JOB_STATES];

const ITEM_TRANSITIONS: Record<ItemState, readonly ItemState[]> = {
  pending: ['pending', 'in_flight', 'succeeded', 'failed', 'retry_wait', 'cancelled'],
  in_flight: ['succeeded', 'failed', 'retry_wait', 'pending', 'cancelled'],
  retry_wait: ['in_flight', 'pending', 'succeeded', 'failed', 'retry_wait', 'cancelled'],
  succeeded: ['pending'],
  failed: ['pending'],
  cancelled: ['pending'],
};

const JOB_TRANSITIONS: Record<JobState, readonly JobState[]> = {
  created: ['running', 'cancelled', 'failed'],
  running: ['running', 'finalizing', 'cancelled', 'failed', 'interrupted'],
  finalizing: ['completed', 'failed', 'cancelled', 'running', 'interrupted'],
  completed: ['running'],
  failed: ['running'],
  cancelled: ['running'],
  interrupted: ['running'],
};

export function canTransitionItem(from: ItemState, to: ItemState): boolean {
  return ITEM_TRANSITIONS[from].includes(to);
}

export function assertItemTransition(from: ItemState, to: ItemState): void {
  if (!canTransitionItem(from, to)) throw new Error(`illegal item transition ${from} -> ${to}`);
}

export function assertJobTransition(from: JobState, to: JobState): void {
  if (!JOB_TRANSITIONS[from].includes(to)) throw new Error(`illegal job transition ${from} -> ${to}`);
}

export const TERMINAL_ITEM_STATES: readonly ItemState[] = ['succeeded', 'failed'];

/** States in which a run of the job has ended and written its files (`resume` can still carry it on). */
export const ENDED_JOB_STATES: ReadonlySet<JobState> = new Set<JobState>(['completed', 'failed', 'cancelled']);
