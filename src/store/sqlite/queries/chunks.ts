import type { Database } from 'better-sqlite3';
import type { Chunk } from '../../../core/chunk.ts';
import { toChunk, type ChunkRow } from '../../chunk-row.ts';
import type { Attempt } from '../../../core/attempt.ts';
import type { ChunkLineOutcome, ChunkPatch, CloseChunkOptions, CloseChunkResult, NewChunk } from '../../chunk-store.ts';
import { OPEN_ITEM_FIELDS, stateGuard, type OpenItemRow } from './items.ts';
import { prepareRows } from './prepare-rows.ts';
import { assertChunkTransition } from '../../../core/chunk.ts';
import type { prepareAttemptQueries } from './attempts.ts';

function updateParams(chunk: Chunk): unknown[] {
  return [
    chunk.state,
    chunk.fileId,
    chunk.batchId,
    chunk.rawStatus,
    chunk.counts === null ? null : JSON.stringify(chunk.counts),
    chunk.end,
    chunk.errors.length === 0 ? null : JSON.stringify(chunk.errors),
    chunk.resultRefs === null ? null : JSON.stringify(chunk.resultRefs),
    chunk.submitStartedAt,
    chunk.submittedAt,
    chunk.endedAt,
    chunk.mergedAt,
    chunk.jobId,
    chunk.chunkNo,
  ];
}

/** `seqs` as runs of consecutive numbers, `[first, last]` each, in the order given. */
function* consecutiveRuns(seqs: readonly number[]): Generator<[number, number]> {
  let first = seqs[0];
  if (first === undefined) return;
  let last = first;
  for (let index = 1; index < seqs.length; index += 1) {
    const seq = seqs[index] as number;
    if (seq === last + 1) {
      last = seq;
      continue;
    }
    yield [first, last];
    first = seq;
    last = seq;
  }
  yield [first, last];
}

/**
 * Batch-mode chunk operations, each one transaction. Item updates are guarded by
 * `state = 'in_flight' AND chunk_no = ?`, so merging the same result file twice (a crash
 * mid-download, then resume) changes nothing the second time and records no second attempt.
 *
 * @internal Left out of the .d.ts (stripInternal): its inferred type names better-sqlite3's unexported namespace.
 */
export function prepareChunkOperations(
  db: Database,
  attempts: Pick<ReturnType<typeof prepareAttemptQueries>, 'record'>,
) {
  const statements = {
    insert: db.prepare<[string, number, string, number, number, number, string, string | null, number]>(
      `INSERT INTO chunks (job_id, chunk_no, state, item_count, bytes, tokens, url, model, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    get: db.prepare<[string, number], ChunkRow>('SELECT * FROM chunks WHERE job_id = ? AND chunk_no = ?'),
    list: db.prepare<[string], ChunkRow>('SELECT * FROM chunks WHERE job_id = ? ORDER BY chunk_no'),
    nextNo: db.prepare<[string], { next: number }>(
      'SELECT COALESCE(MAX(chunk_no), 0) + 1 AS next FROM chunks WHERE job_id = ?',
    ),
    // A run of consecutive seqs in one statement: a chunk is mostly one run (about 1 µs less per item, see create).
    assign: db.prepare<[number, string, number, number]>(
      `UPDATE items SET state = 'in_flight', chunk_no = ? WHERE job_id = ? AND seq >= ? AND seq <= ?
         AND ${stateGuard(['pending'], 'in_flight')}`,
    ),
    pendingPage: prepareRows<[string, number, number], OpenItemRow>(
      db,
      OPEN_ITEM_FIELDS,
      `FROM items WHERE job_id = ? AND state = 'pending' AND seq > ? ORDER BY seq LIMIT ?`,
    ),
    chunkItemsPage: prepareRows<[string, number, number, number], OpenItemRow>(
      db,
      OPEN_ITEM_FIELDS,
      `FROM items WHERE job_id = ? AND chunk_no = ? AND state = 'in_flight' AND seq > ? ORDER BY seq LIMIT ?`,
    ),
    succeed: db.prepare<
      [number, number, string | null, string, number, string | null, string | null, string, number, number]
    >(
      `UPDATE items SET state = 'succeeded', attempts = ?, status_code = ?, request_id = ?, response_body = ?,
         error_json = NULL, missing_reason = NULL, completed_at = ?, check_json = ?, check_status = ?
       WHERE job_id = ? AND seq = ? AND chunk_no = ? AND ${stateGuard(['in_flight'], 'succeeded')}`,
    ),
    // A re-ask (docs/decisions/0019): pending again for a chunk of its wave, its answer and check kept.
    reask: db.prepare<[number, number, number, string | null, string, string, string, string, number, number]>(
      `UPDATE items SET state = 'pending', chunk_no = NULL, attempts = ?, reasks = ?, status_code = ?, request_id = ?,
         response_body = ?, response_bytes = NULL, check_json = ?, check_status = ?, error_json = NULL
       WHERE job_id = ? AND seq = ? AND chunk_no = ? AND ${stateGuard(['in_flight'], 'pending')}`,
    ),
    fail: db.prepare<[number, string, number | null, number, string, number, number]>(
      `UPDATE items SET state = 'failed', attempts = ?, error_json = ?, status_code = ?, missing_reason = NULL,
         completed_at = ?
       WHERE job_id = ? AND seq = ? AND chunk_no = ? AND ${stateGuard(['in_flight'], 'failed')}`,
    ),
    resubmit: db.prepare<[number, string, string, number, number]>(
      `UPDATE items SET state = 'pending', chunk_no = NULL, attempts = ?, error_json = ?
       WHERE job_id = ? AND seq = ? AND chunk_no = ? AND ${stateGuard(['in_flight'], 'pending')}`,
    ),
    cancel: db.prepare<[string, number, number]>(
      `UPDATE items SET state = 'cancelled', missing_reason = 'cancelled'
       WHERE job_id = ? AND seq = ? AND chunk_no = ? AND ${stateGuard(['in_flight'], 'cancelled')}`,
    ),
    update: db.prepare(
      `UPDATE chunks SET state = ?, file_id = ?, batch_id = ?, raw_status = ?, counts_json = ?, end_kind = ?,
         errors_json = ?, result_refs_json = ?, submit_started_at = ?, submitted_at = ?, ended_at = ?, merged_at = ?
       WHERE job_id = ? AND chunk_no = ?`,
    ),
  };

  const requireChunk = (jobId: string, chunkNo: number): Chunk => {
    const row = statements.get.get(jobId, chunkNo);
    if (row === undefined) throw new Error(`no chunk ${String(chunkNo)} in job ${jobId}`);
    return toChunk(row);
  };

  const applyOutcome = (jobId: string, chunkNo: number, line: ChunkLineOutcome): boolean => {
    let changes = 0;
    switch (line.state) {
      case 'succeeded':
        changes = statements.succeed.run(
          line.attempt.attempt,
          line.statusCode,
          line.requestId,
          line.body,
          line.completedAt,
          line.check === undefined ? null : JSON.stringify(line.check),
          line.check?.status ?? null,
          jobId,
          line.attempt.seq,
          chunkNo,
        ).changes;
        break;
      case 'reask':
        changes = statements.reask.run(
          line.attempt.attempt,
          line.reasks,
          line.statusCode,
          line.requestId,
          line.body,
          JSON.stringify(line.check),
          line.check.status,
          jobId,
          line.attempt.seq,
          chunkNo,
        ).changes;
        break;
      case 'failed':
        changes = statements.fail.run(
          line.attempt.attempt,
          JSON.stringify(line.error),
          line.error.status ?? null,
          line.completedAt,
          jobId,
          line.attempt.seq,
          chunkNo,
        ).changes;
        break;
      case 'pending':
        changes = statements.resubmit.run(
          line.attempt.attempt,
          JSON.stringify(line.error),
          jobId,
          line.attempt.seq,
          chunkNo,
        ).changes;
        break;
    }
    if (changes > 0) attempts.record(jobId, line.attempt);
    return changes > 0;
  };

  return {
    list: (jobId: string): Chunk[] => statements.list.all(jobId).map(toChunk),

    create: db.transaction((jobId: string, chunk: NewChunk, seqs: readonly number[]): Chunk => {
      const chunkNo = statements.nextNo.get(jobId)?.next ?? 1;
      let assigned = 0;
      // Every seq of a run [first, last] is in `seqs` (seqs are whole numbers), so the run's update assigns no other.
      for (const [first, last] of consecutiveRuns(seqs)) {
        assigned += statements.assign.run(chunkNo, jobId, first, last).changes;
      }
      if (assigned !== seqs.length) {
        throw new Error(`chunk ${String(chunkNo)}: ${String(seqs.length - assigned)} items were not pending`);
      }
      statements.insert.run(
        jobId,
        chunkNo,
        'planned',
        seqs.length,
        chunk.bytes,
        chunk.tokens,
        chunk.url,
        chunk.model,
        chunk.now,
      );
      return requireChunk(jobId, chunkNo);
    }),

    update: db.transaction((jobId: string, chunkNo: number, patch: ChunkPatch): Chunk => {
      const current = requireChunk(jobId, chunkNo);
      if (patch.state !== undefined && patch.state !== current.state) assertChunkTransition(current.state, patch.state);
      const next: Chunk = { ...current, ...patch };
      statements.update.run(...updateParams(next));
      return next;
    }),

    /** Rows for `toOpenItem` of queries/items.ts (a re-asked item's answer may be in parts). */
    pendingPage: (jobId: string, afterSeq: number, limit: number): OpenItemRow[] =>
      statements.pendingPage.all(jobId, afterSeq, limit),

    chunkItemsPage: (jobId: string, chunkNo: number, afterSeq: number, limit: number): OpenItemRow[] =>
      statements.chunkItemsPage.all(jobId, chunkNo, afterSeq, limit),

    merge: db.transaction((jobId: string, chunkNo: number, lines: readonly ChunkLineOutcome[]): number => {
      let applied = 0;
      for (const line of lines) if (applyOutcome(jobId, chunkNo, line)) applied += 1;
      return applied;
    }),

    close: db.transaction((jobId: string, chunkNo: number, options: CloseChunkOptions): CloseChunkResult => {
      const result: CloseChunkResult = { resubmitted: 0, failed: 0, cancelled: 0 };
      const chunk = requireChunk(jobId, chunkNo);
      const startedAt = chunk.submittedAt ?? chunk.createdAt;
      for (;;) {
        const rows = statements.chunkItemsPage.all(jobId, chunkNo, -1, 1000);
        if (rows.length === 0) break;
        for (const row of rows) {
          if (options.kind === 'cancel') {
            statements.cancel.run(jobId, row.seq, chunkNo);
            result.cancelled += 1;
          } else if (!options.countAttempt) {
            // Put back as it was: the batch never ran its lines (e.g. the enqueued-token limit).
            statements.resubmit.run(row.attempts, JSON.stringify(options.error), jobId, row.seq, chunkNo);
            result.resubmitted += 1;
          } else {
            const attempt: Attempt = {
              seq: row.seq,
              attempt: row.attempts + 1,
              startedAt,
              latencyMs: Math.max(0, options.now - startedAt),
              statusCode: options.error.status ?? null,
              outcome: options.error.code,
              inputTokens: null,
              outputTokens: null,
            };
            // A re-ask has retries of its own: each re-ask made used up at least one attempt (docs/decisions/0019).
            const failed = attempt.attempt - row.reasks >= options.maxAttempts;
            applyOutcome(
              jobId,
              chunkNo,
              failed
                ? {
                    state: 'failed',
                    error: { ...options.error, reason: 'maxRetriesExceeded' },
                    completedAt: options.now,
                    attempt,
                  }
                : { state: 'pending', error: options.error, attempt },
            );
            if (failed) result.failed += 1;
            else result.resubmitted += 1;
          }
        }
      }
      assertChunkTransition(chunk.state, 'merged');
      const merged: Chunk = { ...chunk, state: 'merged', mergedAt: options.now };
      statements.update.run(...updateParams(merged));
      return result;
    }),
  };
}
