import type { Attempt } from '../core/attempt.ts';
import type { ItemStore, ItemUpdate, JobProgressBatch } from '../store/store.ts';

interface PendingEntries extends JobProgressBatch {
  slots: number;
}

/**
 * Group commit of realtime outcomes: everything the dispatchers sharing this queue finish in
 * one turn of the event loop goes to the store in one transaction, then each dispatcher is
 * told how many of its requests are settled.
 *
 * A foreground job has a queue of its own. The scheduler gives all its jobs one queue:
 * ten jobs committing separately pay ten transactions where one does (a transaction's own
 * cost, begin to commit, is about 9% of a realtime job's CPU in profiles).
 *
 * A failed commit is reported to every dispatcher in it: a store that cannot write must stop
 * them all, since nothing may count as done unrecorded.
 */
export class CommitQueue {
  private readonly store: Pick<ItemStore, 'commitProgress'>;
  private pending = new Map<CommitWaiter, PendingEntries>();
  private scheduled = false;
  private flushing: Promise<void> | undefined;

  constructor(store: Pick<ItemStore, 'commitProgress'>) {
    this.store = store;
  }

  /**
   * Queues one request's outcome: its attempt and item update, either or both absent (an
   * abandoned request only gives its slot back, once the commit before it is done).
   */
  add(waiter: CommitWaiter, jobId: string, attempt: Attempt | null, update: ItemUpdate | null): void {
    let entries = this.pending.get(waiter);
    if (entries === undefined) {
      entries = { jobId, attempts: [], updates: [], slots: 0 };
      this.pending.set(waiter, entries);
    }
    if (attempt !== null) entries.attempts.push(attempt);
    if (update !== null) entries.updates.push(update);
    entries.slots += 1;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => void this.flush());
    }
  }

  private async flush(): Promise<void> {
    if (this.flushing !== undefined) await this.flushing;
    this.scheduled = false;
    const entries = this.pending;
    this.pending = new Map();
    const batches = [...entries.values()].filter((batch) => batch.attempts.length > 0 || batch.updates.length > 0);
    let failure: Error | undefined;
    if (batches.length > 0) {
      const committing = this.store.commitProgress(batches).catch((error: unknown) => {
        failure = error instanceof Error ? error : new Error(String(error));
      });
      this.flushing = committing;
      await committing;
      this.flushing = undefined;
    }
    for (const [waiter, batch] of entries) waiter.onCommitted(batch.slots, failure);
  }
}

/** A dispatcher waiting for its outcomes to be committed. */
export interface CommitWaiter {
  /**
   * Its entries of one group commit are in the store (`error` unset) or could not be
   * written; `slots` is how many of its requests the commit settles.
   */
  onCommitted(slots: number, error: Error | undefined): void;
}
