/**
 * Batch-mode chunks (`ChunkStore`): chunks cut from pending items, their remote steps (state changes checked against
 * the chunk lifecycle), and their results merged many items per statement.
 */
import type pg from 'pg';
import type { Attempt } from '../../../core/attempt.ts';
import { assertChunkTransition, type Chunk } from '../../../core/chunk.ts';
import { toChunk, type ChunkRow } from '../../chunk-row.ts';
import type { ChunkLineOutcome, ChunkPatch, CloseChunkOptions, CloseChunkResult, NewChunk } from '../../chunk-store.ts';
import { recordAttempts } from './attempts.ts';
import { chunkItemsPage } from './items.ts';
import { applyItemWrite, CHUNK_WRITES, rounds } from './item-writes.ts';

async function writeChunk(db: pg.ClientBase, chunk: Chunk): Promise<void> {
  await db.query(
    `UPDATE chunks SET state = $1, file_id = $2, batch_id = $3, raw_status = $4, counts_json = $5, end_kind = $6,
       errors_json = $7, result_refs_json = $8, submit_started_at = $9, submitted_at = $10, ended_at = $11,
       merged_at = $12
     WHERE job_id = $13 AND chunk_no = $14`,
    [
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
    ],
  );
}

/** The chunk, locked to the end of the transaction so its state changes are serialised. */
async function requireChunk(db: pg.ClientBase, jobId: string, chunkNo: number): Promise<Chunk> {
  const { rows } = await db.query<ChunkRow>('SELECT * FROM chunks WHERE job_id = $1 AND chunk_no = $2 FOR UPDATE', [
    jobId,
    chunkNo,
  ]);
  const row = rows[0];
  if (row === undefined) throw new Error(`no chunk ${String(chunkNo)} in job ${jobId}`);
  return toChunk(row);
}

export async function listChunks(db: pg.ClientBase, jobId: string): Promise<Chunk[]> {
  return (await db.query<ChunkRow>('SELECT * FROM chunks WHERE job_id = $1 ORDER BY chunk_no', [jobId])).rows.map(
    toChunk,
  );
}

/**
 * `ChunkStore.createChunk` inside the caller's transaction, which holds the job's row locked (so two processes never
 * take the same number): the items move in one UPDATE, and any that was not pending rolls the call back.
 */
export async function createChunk(
  db: pg.ClientBase,
  jobId: string,
  chunk: NewChunk,
  seqs: readonly number[],
): Promise<Chunk> {
  const { rows } = await db.query<{ next: number }>(
    'SELECT COALESCE(MAX(chunk_no), 0) + 1 AS next FROM chunks WHERE job_id = $1',
    [jobId],
  );
  const chunkNo = rows[0]?.next ?? 1;
  const assigned = await db.query(
    `UPDATE items SET state = 'in_flight', chunk_no = $1 WHERE job_id = $2 AND seq = ANY($3::int[]) AND state = 'pending'`,
    [chunkNo, jobId, [...new Set(seqs)]],
  );
  if (assigned.rowCount !== seqs.length) {
    throw new Error(
      `chunk ${String(chunkNo)}: ${String(seqs.length - (assigned.rowCount ?? 0))} items were not pending`,
    );
  }
  await db.query(
    `INSERT INTO chunks (job_id, chunk_no, state, item_count, bytes, tokens, url, model, created_at)
     VALUES ($1, $2, 'planned', $3, $4, $5, $6, $7, $8)`,
    [jobId, chunkNo, seqs.length, chunk.bytes, chunk.tokens, chunk.url, chunk.model, chunk.now],
  );
  return requireChunk(db, jobId, chunkNo);
}

export async function updateChunk(
  db: pg.ClientBase,
  jobId: string,
  chunkNo: number,
  patch: ChunkPatch,
): Promise<Chunk> {
  const current = await requireChunk(db, jobId, chunkNo);
  if (patch.state !== undefined && patch.state !== current.state) assertChunkTransition(current.state, patch.state);
  const next: Chunk = { ...current, ...patch };
  await writeChunk(db, next);
  return next;
}

/**
 * Commits result lines of a chunk inside the caller's transaction: one multi-row UPDATE per kind of outcome, guarded
 * by `state = 'in_flight' AND chunk_no = ?`, and the attempts of the lines that moved an item in one INSERT. Returns
 * how many lines moved an item.
 */
export async function mergeChunkResults(
  db: pg.ClientBase,
  jobId: string,
  chunkNo: number,
  lines: readonly ChunkLineOutcome[],
): Promise<number> {
  const entries = lines.map((line) => ({ seq: line.attempt.seq, line }));
  let applied = 0;
  for (const round of rounds(entries)) {
    const moved = new Set<number>();
    const pick = <S extends ChunkLineOutcome['state']>(state: S) =>
      round
        .map((entry) => entry.line)
        .filter((line): line is Extract<ChunkLineOutcome, { state: S }> => line.state === state);
    const add = (seqs: number[]): void => seqs.forEach((seq) => moved.add(seq));
    add(
      await applyItemWrite(
        db,
        CHUNK_WRITES.succeeded,
        jobId,
        pick('succeeded').map((line) => ({
          seq: line.attempt.seq,
          attempts: line.attempt.attempt,
          statusCode: line.statusCode,
          requestId: line.requestId,
          body: line.body,
          completedAt: line.completedAt,
          checkJson: line.check === undefined ? null : JSON.stringify(line.check),
          checkStatus: line.check?.status ?? null,
        })),
        chunkNo,
      ),
    );
    add(
      await applyItemWrite(
        db,
        CHUNK_WRITES.reask,
        jobId,
        pick('reask').map((line) => ({
          seq: line.attempt.seq,
          attempts: line.attempt.attempt,
          reasks: line.reasks,
          statusCode: line.statusCode,
          requestId: line.requestId,
          body: line.body,
          checkJson: JSON.stringify(line.check),
          checkStatus: line.check.status,
        })),
        chunkNo,
      ),
    );
    add(
      await applyItemWrite(
        db,
        CHUNK_WRITES.failed,
        jobId,
        pick('failed').map((line) => ({
          seq: line.attempt.seq,
          attempts: line.attempt.attempt,
          errorJson: JSON.stringify(line.error),
          statusCode: line.error.status ?? null,
          completedAt: line.completedAt,
        })),
        chunkNo,
      ),
    );
    add(
      await applyItemWrite(
        db,
        CHUNK_WRITES.pending,
        jobId,
        pick('pending').map((line) => ({
          seq: line.attempt.seq,
          attempts: line.attempt.attempt,
          errorJson: JSON.stringify(line.error),
        })),
        chunkNo,
      ),
    );
    const made: { jobId: string; attempt: Attempt }[] = [];
    for (const entry of round) {
      if (!moved.has(entry.seq)) continue;
      // An item named twice in one round moves once: its attempt is recorded once.
      moved.delete(entry.seq);
      made.push({ jobId, attempt: entry.line.attempt });
    }
    await recordAttempts(db, made);
    applied += made.length;
  }
  return applied;
}

/**
 * `ChunkStore.closeChunk` inside the caller's transaction: the chunk's waiting items read once, their outcomes
 * decided here, and written as `mergeChunkResults` writes lines; the chunk becomes merged.
 */
export async function closeChunk(
  db: pg.ClientBase,
  jobId: string,
  chunkNo: number,
  options: CloseChunkOptions,
): Promise<CloseChunkResult> {
  const result: CloseChunkResult = { resubmitted: 0, failed: 0, cancelled: 0 };
  const chunk = await requireChunk(db, jobId, chunkNo);
  const startedAt = chunk.submittedAt ?? chunk.createdAt;
  const rows = await chunkItemsPage(db, jobId, chunkNo, -1, 2_147_483_647);
  if (options.kind === 'cancel') {
    result.cancelled = (await applyItemWrite(db, CHUNK_WRITES.cancelled, jobId, rows, chunkNo)).length;
  } else if (!options.countAttempt) {
    // Put back as it was: the batch never ran its lines (e.g. the enqueued-token limit).
    const errorJson = JSON.stringify(options.error);
    result.resubmitted = (
      await applyItemWrite(
        db,
        CHUNK_WRITES.pending,
        jobId,
        rows.map((row) => ({ seq: row.seq, attempts: row.attempts, errorJson })),
        chunkNo,
      )
    ).length;
  } else {
    const lines: ChunkLineOutcome[] = rows.map((row) => {
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
      if (failed) result.failed += 1;
      else result.resubmitted += 1;
      return failed
        ? {
            state: 'failed',
            error: { ...options.error, reason: 'maxRetriesExceeded' },
            completedAt: options.now,
            attempt,
          }
        : { state: 'pending', error: options.error, attempt };
    });
    await mergeChunkResults(db, jobId, chunkNo, lines);
  }
  assertChunkTransition(chunk.state, 'merged');
  await writeChunk(db, { ...chunk, state: 'merged', mergedAt: options.now });
  return result;
}
