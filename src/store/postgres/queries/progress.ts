import type pg from 'pg';
import type { ItemUpdate, JobProgressBatch } from '../../item-store.ts';
import { recordAttempts } from './attempts.ts';
import { refuseUnmoved } from './items.ts';
import { applyItemWrite, PROGRESS_WRITES, rounds, type ItemWrite } from './item-writes.ts';

/**
 * `ItemStore.commitProgress` inside the caller's transaction: every batch's attempts in one INSERT, then each job's
 * item updates, one multi-row UPDATE per kind of move (queries/item-writes.ts), never a statement per item. An
 * update that moved nothing is a move the lifecycle forbids (or an unknown item): `refuseUnmoved` throws, rolling
 * the whole call back.
 */
export async function commitProgress(db: pg.ClientBase, batches: readonly JobProgressBatch[]): Promise<void> {
  await recordAttempts(
    db,
    batches.flatMap(({ jobId, attempts }) => attempts.map((attempt) => ({ jobId, attempt }))),
  );
  for (const { jobId, updates } of batches) {
    for (const round of rounds(updates)) {
      const moved = new Set<number>();
      const apply = async <U extends { seq: number }>(write: ItemWrite<U>, writes: U[]): Promise<void> => {
        for (const seq of await applyItemWrite(db, write, jobId, writes)) moved.add(seq);
      };
      await apply(PROGRESS_WRITES.succeeded, round.filter(isState('succeeded')).map(toSucceed));
      await apply(PROGRESS_WRITES.pending, round.filter(isState('pending')).map(toReask));
      await apply(
        PROGRESS_WRITES.failed,
        round.filter(isState('failed')).map((u) => ({
          seq: u.seq,
          attempts: u.attempts,
          errorJson: JSON.stringify(u.error),
          statusCode: u.error.status ?? null,
          completedAt: u.completedAt,
        })),
      );
      await apply(
        PROGRESS_WRITES.retry_wait,
        round
          .filter(isState('retry_wait'))
          .map((u) => ({ seq: u.seq, attempts: u.attempts, errorJson: JSON.stringify(u.error) })),
      );
      await apply(
        PROGRESS_WRITES.cancelled,
        round
          .filter(isState('cancelled'))
          .map((u) => ({ seq: u.seq, attempts: u.attempts, missingReason: u.missingReason })),
      );
      if (moved.size < round.length) {
        await refuseUnmoved(
          db,
          jobId,
          round.map((u) => ({ seq: u.seq, to: u.state })),
          moved,
        );
      }
    }
  }
}

function isState<S extends ItemUpdate['state']>(state: S) {
  return (update: ItemUpdate): update is Extract<ItemUpdate, { state: S }> => update.state === state;
}

function toSucceed(u: Extract<ItemUpdate, { state: 'succeeded' }>) {
  return {
    seq: u.seq,
    attempts: u.attempts,
    statusCode: u.statusCode,
    requestId: u.requestId,
    body: u.body,
    completedAt: u.completedAt,
    checkJson: u.check === undefined ? null : JSON.stringify(u.check),
    checkStatus: u.check?.status ?? null,
  };
}

function toReask(u: Extract<ItemUpdate, { state: 'pending' }>) {
  return {
    seq: u.seq,
    attempts: u.attempts,
    reasks: u.reasks,
    statusCode: u.statusCode,
    requestId: u.requestId,
    body: u.body,
    checkJson: JSON.stringify(u.check),
    checkStatus: u.check.status,
  };
}
