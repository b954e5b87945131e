import type pg from 'pg';
import { StoreError } from '../../../errors/index.ts';
import type { SliceKey } from '../../work-slice-store.ts';
import { restartJobWork, type SliceTicket } from './slices.ts';

/**
 * Batch-mode chunks as slices (store/chunk-work-store.ts, docs/decisions/0034): the hand-out, and the lock every
 * write of a chunk's holder takes first.
 */

/**
 * One new slice of kind chunk per chunk, numbered after the job's last slice; a chunk's open slices of earlier
 * hand-outs are withdrawn (their holders lose them). Runs in the caller's transaction, with the job's row locked.
 */
export async function handOutChunks(
  db: pg.ClientBase,
  jobId: string,
  chunkNos: readonly number[],
  restart: boolean,
): Promise<SliceTicket[]> {
  if (restart) await restartJobWork(db, jobId);
  if (chunkNos.length === 0) return [];
  await db.query(
    `UPDATE slices SET state = 'withdrawn', holder = NULL, heartbeat_at = NULL
     WHERE job_id = $1 AND state = 'open' AND chunk_no = ANY($2::int[])`,
    [jobId, chunkNos],
  );
  const { rows } = await db.query<{ slice_no: number; generation: number }>(
    `WITH next AS (SELECT COALESCE(MAX(slice_no), 0) AS base FROM slices WHERE job_id = $1),
       wanted AS (SELECT c.chunk_no, row_number() OVER (ORDER BY c.chunk_no) AS n FROM unnest($2::int[]) AS c(chunk_no)),
       spans AS (
         SELECT w.chunk_no, w.n, COALESCE(MIN(i.seq), 0) AS first_seq, COALESCE(MAX(i.seq), 0) AS last_seq
         FROM wanted w LEFT JOIN items i ON i.job_id = $1 AND i.chunk_no = w.chunk_no
         GROUP BY w.chunk_no, w.n
       )
     INSERT INTO slices (job_id, slice_no, first_seq, last_seq, state, generation, chunk_no)
     SELECT $1, (SELECT base FROM next) + n, first_seq, last_seq, 'open', 0, chunk_no FROM spans
     RETURNING slice_no, generation`,
    [jobId, [...new Set(chunkNos)]],
  );
  return rows.map((row) => ({ sliceNo: row.slice_no, generation: row.generation }));
}

/**
 * The chunk a slice of kind chunk names, its slice locked `FOR SHARE` as still open and held by `holder` (a
 * takeover, which updates the row, waits for the caller's transaction); `SLICE_LOST` when it is not.
 */
export async function lockHeldChunk(db: pg.ClientBase, slice: SliceKey, holder: string): Promise<number> {
  const { rows } = await db.query<{ chunk_no: number | null }>({
    name: 'slice-held-chunk-lock',
    text: `SELECT chunk_no FROM slices WHERE job_id = $1 AND slice_no = $2 AND holder = $3 AND state = 'open' FOR SHARE`,
    values: [slice.jobId, slice.sliceNo, holder],
  });
  const chunkNo = rows[0]?.chunk_no;
  if (chunkNo === undefined || chunkNo === null) {
    throw new StoreError(
      'SLICE_LOST',
      `slice ${String(slice.sliceNo)} of job ${slice.jobId} is no longer held by this worker; nothing was written`,
      { context: { jobId: slice.jobId } },
    );
  }
  return chunkNo;
}

/** A page of `ChunkWorkStore.chunkAnswers`: the bodies of the items that succeeded in the chunk, after `afterSeq`. */
export async function chunkAnswerPage(
  db: pg.ClientBase,
  jobId: string,
  chunkNo: number,
  afterSeq: number,
  limit: number,
): Promise<{ seq: number; body: string }[]> {
  const { rows } = await db.query<{ seq: number; response_body: string | null; response_raw: Buffer | null }>({
    name: 'chunk-answers',
    text: `SELECT seq, response_body, response_raw FROM items
       WHERE job_id = $1 AND chunk_no = $2 AND state = 'succeeded' AND seq > $3 ORDER BY seq LIMIT $4`,
    values: [jobId, chunkNo, afterSeq, limit],
  });
  return rows.map((row) => ({
    seq: row.seq,
    body: row.response_raw === null ? (row.response_body ?? '') : row.response_raw.toString('utf8'),
  }));
}
