import type { Database } from 'better-sqlite3';
import { assertItemTransition, type ItemState } from '../../../core/states.ts';
import type { ItemUpdate, JobProgressBatch } from '../../item-store.ts';
import type { prepareAttemptQueries } from './attempts.ts';
import type { prepareItemQueries } from './items.ts';
import type { prepareResponsePartQueries } from './response-parts.ts';

export interface ProgressQueries {
  items: ReturnType<typeof prepareItemQueries>;
  attempts: Pick<ReturnType<typeof prepareAttemptQueries>, 'record'>;
  responseParts: ReturnType<typeof prepareResponsePartQueries>;
}

/**
 * `ItemStore.commitProgress` as one transaction (the caller runs it `.immediate()`): the
 * attempts, then each item's new state. Each update's statement is guarded by the states the
 * lifecycle lets the item leave for the new one, so enforcing it costs no read on the hot
 * path; an update that changes nothing is a move the lifecycle forbids (or an unknown item),
 * reported by `assertItemTransition` and rolling the whole call back.
 *
 * @internal Left out of the .d.ts (stripInternal): its inferred type names better-sqlite3's unexported namespace.
 */
export function prepareProgress(db: Database, queries: ProgressQueries) {
  const { items, attempts, responseParts } = queries;

  const apply = (jobId: string, update: ItemUpdate): number => {
    switch (update.state) {
      case 'succeeded': {
        // An answer that came as bytes (a large one) goes in parts: never one copy of it whole (migration 0004).
        const { body } = update;
        const changes = items.succeed.run(
          update.attempts,
          update.statusCode,
          update.requestId,
          typeof body === 'string' ? body : null,
          typeof body === 'string' ? null : body.length,
          update.completedAt,
          update.check === undefined ? null : JSON.stringify(update.check),
          update.check?.status ?? null,
          jobId,
          update.seq,
        ).changes;
        if (changes > 0 && typeof body !== 'string') responseParts.write(jobId, update.seq, body);
        return changes;
      }
      case 'pending': {
        const { body } = update;
        const changes = items.reask.run(
          update.attempts,
          update.reasks,
          update.statusCode,
          update.requestId,
          typeof body === 'string' ? body : null,
          typeof body === 'string' ? null : body.length,
          JSON.stringify(update.check),
          update.check.status,
          jobId,
          update.seq,
        ).changes;
        if (changes > 0 && typeof body !== 'string') responseParts.write(jobId, update.seq, body);
        return changes;
      }
      case 'failed':
        return items.fail.run(
          update.attempts,
          JSON.stringify(update.error),
          update.error.status ?? null,
          update.completedAt,
          jobId,
          update.seq,
        ).changes;
      case 'retry_wait':
        return items.retryWait.run(update.attempts, JSON.stringify(update.error), jobId, update.seq).changes;
      case 'cancelled':
        return items.cancel.run(update.attempts, update.missingReason, jobId, update.seq).changes;
    }
  };

  const refuse = (jobId: string, seq: number, to: ItemState): never => {
    const row = items.stateOf.get(jobId, seq);
    if (row === undefined) throw new Error(`no item ${String(seq)} in job ${jobId}`);
    assertItemTransition(row.state as ItemState, to);
    // Unreachable: the guard and the table agree (both come from core/states.ts).
    throw new Error(`item ${String(seq)} of job ${jobId} did not move to ${to}`);
  };

  return db.transaction((batches: readonly JobProgressBatch[]): void => {
    for (const { jobId, attempts: made, updates } of batches) {
      for (const attempt of made) attempts.record(jobId, attempt);
      for (const update of updates) {
        if (apply(jobId, update) === 0) refuse(jobId, update.seq, update.state);
      }
    }
  });
}
