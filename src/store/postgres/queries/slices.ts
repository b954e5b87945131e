import type pg from 'pg';
import type { JobProgressBatch, OpenItem } from '../../item-store.ts';
import type { HeldSlice, SentAttempt, SliceCounts, SliceKey, WorkStop } from '../../work-slice-store.ts';
import { OPEN_ITEM_SELECT, toOpenItem, type ItemRow } from './items.ts';
import { commitProgress } from './progress.ts';

/**
 * The work role's statements (store/work-slice-store.ts, docs/decisions/0031). Every time compared here is the
 * database's `clock_timestamp()`, so workers on machines with skewed clocks agree on what is stale.
 */

/** A slice as handed out: the queue's payload. The generation makes a hand-out of an earlier cut claim nothing. */
export interface SliceTicket {
  sliceNo: number;
  generation: number;
}

/**
 * Withdraws the job's open slices and cuts its open items into new ones of at most `size` items, numbered after the
 * last; returns the new slices' tickets. Runs in the caller's transaction, with the job's row locked.
 */
export async function cutSlices(db: pg.ClientBase, jobId: string, size: number): Promise<SliceTicket[]> {
  await restartJobWork(db, jobId);
  // What an earlier cut's holders had out is unknown to the new one: its items are pending again, sent once more.
  await db.query('DELETE FROM sent_attempts WHERE job_id = $1', [jobId]);
  const { rows } = await db.query<{ slice_no: number; generation: number }>(
    `WITH next AS (SELECT COALESCE(MAX(slice_no), 0) AS base FROM slices WHERE job_id = $1),
       open AS (
         SELECT seq, (row_number() OVER (ORDER BY seq) - 1) / $2 AS n FROM items
         WHERE job_id = $1 AND state IN ('pending', 'retry_wait')
       )
     INSERT INTO slices (job_id, slice_no, first_seq, last_seq, state, generation)
     SELECT $1, (SELECT base FROM next) + 1 + n, MIN(seq), MAX(seq), 'open', 0 FROM open GROUP BY n
     RETURNING slice_no, generation`,
    [jobId, size],
  );
  return rows.map((row) => ({ sliceNo: row.slice_no, generation: row.generation }));
}

/**
 * Cuts the job's open items after those of its slices (items committed since the last cut) into slices of `size`:
 * only whole ones unless `final`, so the rest waits for the next commit of the input.
 */
export async function appendSlices(
  db: pg.ClientBase,
  jobId: string,
  size: number,
  final: boolean,
): Promise<SliceTicket[]> {
  const { rows } = await db.query<{ slice_no: number; generation: number }>({
    name: 'slices-append',
    text: `WITH next AS (
         SELECT COALESCE(MAX(slice_no), 0) AS base, COALESCE(MAX(last_seq), -1) AS cut FROM slices WHERE job_id = $1
       ),
       open AS (
         SELECT seq, (row_number() OVER (ORDER BY seq) - 1) / $2 AS n FROM items
         WHERE job_id = $1 AND seq > (SELECT cut FROM next) AND state IN ('pending', 'retry_wait')
       ),
       cut AS (SELECT n, MIN(seq) AS first_seq, MAX(seq) AS last_seq, count(*) AS items FROM open GROUP BY n)
     INSERT INTO slices (job_id, slice_no, first_seq, last_seq, state, generation)
     SELECT $1, (SELECT base FROM next) + 1 + n, first_seq, last_seq, 'open', 0 FROM cut WHERE $3 OR items = $2
     RETURNING slice_no, generation`,
    values: [jobId, size, final],
  });
  return rows.map((row) => ({ sliceNo: row.slice_no, generation: row.generation }));
}

/**
 * A new run of the job's work (a run starting or resuming): every open slice of earlier runs is withdrawn (their
 * holders lose them) and a stop a worker recorded is cleared. In the caller's transaction.
 */
export async function restartJobWork(db: pg.ClientBase, jobId: string): Promise<void> {
  await withdrawSlices(db, jobId);
  await db.query('UPDATE jobs SET work_stop_json = NULL WHERE id = $1', [jobId]);
}

export async function withdrawSlices(db: pg.ClientBase, jobId: string): Promise<void> {
  await db.query(
    `UPDATE slices SET state = 'withdrawn', holder = NULL, heartbeat_at = NULL WHERE job_id = $1 AND state = 'open'`,
    [jobId],
  );
}

/**
 * Takes the slice a ticket names for `holder`, if the ticket is still its current hand-out (same generation, open,
 * unheld); the ledger rows a lost holder left in it are cleared and counted.
 */
export async function claimSlice(
  db: pg.ClientBase,
  jobId: string,
  ticket: SliceTicket,
  holder: string,
): Promise<HeldSlice | undefined> {
  const { rows } = await db.query<{ first_seq: number; last_seq: number; chunk_no: number | null }>({
    name: 'slice-claim',
    text: `UPDATE slices SET holder = $4, heartbeat_at = clock_timestamp()
       WHERE job_id = $1 AND slice_no = $2 AND generation = $3 AND state = 'open' AND holder IS NULL
       RETURNING first_seq, last_seq, chunk_no`,
    values: [jobId, ticket.sliceNo, ticket.generation, holder],
  });
  const row = rows[0];
  if (row === undefined) return undefined;
  const cleared = await db.query<{ in_doubt: boolean }>({
    name: 'sent-clear-slice',
    text: `DELETE FROM sent_attempts s WHERE job_id = $1 AND seq BETWEEN $2 AND $3
       RETURNING NOT EXISTS (
         SELECT 1 FROM attempts a WHERE a.job_id = s.job_id AND a.seq = s.seq AND a.attempt = s.attempt
       ) AS in_doubt`,
    values: [jobId, row.first_seq, row.last_seq],
  });
  return {
    jobId,
    sliceNo: ticket.sliceNo,
    firstSeq: row.first_seq,
    lastSeq: row.last_seq,
    inDoubt: cleared.rows.filter((entry) => entry.in_doubt).length,
    generation: ticket.generation,
    ...(row.chunk_no === null ? {} : { chunkNo: row.chunk_no }),
  };
}

export async function heartbeatSlices(db: pg.ClientBase, holder: string): Promise<SliceKey[]> {
  const { rows } = await db.query<{ job_id: string; slice_no: number }>({
    name: 'slice-heartbeat',
    text: `UPDATE slices SET heartbeat_at = clock_timestamp() WHERE holder = $1 AND state = 'open'
       RETURNING job_id, slice_no`,
    values: [holder],
  });
  return rows.map((row) => ({ jobId: row.job_id, sliceNo: row.slice_no }));
}

/** The slice is done, and its ledger rows go: every attempt in it was committed. In the caller's transaction. */
export async function finishSlice(db: pg.ClientBase, key: SliceKey, holder: string): Promise<boolean> {
  const { rows } = await db.query<{ first_seq: number; last_seq: number }>({
    name: 'slice-finish',
    text: `UPDATE slices SET state = 'done', holder = NULL, heartbeat_at = NULL
       WHERE job_id = $1 AND slice_no = $2 AND holder = $3 AND state = 'open' RETURNING first_seq, last_seq`,
    values: [key.jobId, key.sliceNo, holder],
  });
  const row = rows[0];
  if (row === undefined) return false;
  await db.query({
    name: 'sent-clear-finished',
    text: 'DELETE FROM sent_attempts WHERE job_id = $1 AND seq BETWEEN $2 AND $3',
    values: [key.jobId, row.first_seq, row.last_seq],
  });
  return true;
}

/** Which open slices `reissueSlices` hands out again: a holder's (all, or one), or those gone stale. */
export type ReissueWhere = { holder: string; only?: SliceKey } | { staleMs: number; ownPrefix: string | null };

/** Open slices back to unheld under a new generation: the caller hands each out again in the same transaction. */
export async function reissueSlices(
  db: pg.ClientBase,
  where: ReissueWhere,
): Promise<(SliceTicket & { jobId: string })[]> {
  const only = 'holder' in where ? where.only : undefined;
  const { rows } = await db.query<{ job_id: string; slice_no: number; generation: number }>(
    `UPDATE slices SET holder = NULL, heartbeat_at = NULL, generation = generation + 1
     WHERE state = 'open' AND ${
       'holder' in where
         ? `holder = $1${only === undefined ? '' : ' AND job_id = $2 AND slice_no = $3'}`
         : `holder IS NOT NULL AND heartbeat_at < clock_timestamp() - make_interval(secs => $1::double precision / 1000)
            AND ($2::text IS NULL OR left(holder, length($2::text)) <> $2::text)`
     }
     RETURNING job_id, slice_no, generation`,
    'holder' in where
      ? [where.holder, ...(only === undefined ? [] : [only.jobId, only.sliceNo])]
      : [where.staleMs, where.ownPrefix],
  );
  return rows.map((row) => ({ jobId: row.job_id, sliceNo: row.slice_no, generation: row.generation }));
}

export async function sliceCounts(db: pg.ClientBase, jobId: string): Promise<SliceCounts> {
  const { rows } = await db.query<{ open: number; held: number; done: number }>({
    name: 'slice-counts',
    text: `SELECT COUNT(*) FILTER (WHERE state = 'open') AS open,
         COUNT(*) FILTER (WHERE state = 'open' AND holder IS NOT NULL) AS held,
         COUNT(*) FILTER (WHERE state = 'done') AS done
       FROM slices WHERE job_id = $1`,
    values: [jobId],
  });
  const row = rows[0];
  return { open: row?.open ?? 0, held: row?.held ?? 0, done: row?.done ?? 0 };
}

export async function jobsWithOpenSlices(db: pg.ClientBase, pattern: string | undefined): Promise<string[]> {
  const { rows } = await db.query<{ job_id: string }>(
    `SELECT DISTINCT job_id FROM slices WHERE state = 'open' AND holder IS NULL
       AND ($1::text IS NULL OR job_id LIKE $1) ORDER BY job_id`,
    [pattern === undefined ? null : globToLike(pattern)],
  );
  return rows.map((row) => row.job_id);
}

/** `*` matches any run of characters; everything else, `%` and `_` included, only itself. */
function globToLike(pattern: string): string {
  return pattern.replace(/[\\%_]/g, (char) => `\\${char}`).replace(/\*/g, '%');
}

export async function sliceItems(
  db: pg.ClientBase,
  jobId: string,
  firstSeq: number,
  lastSeq: number,
): Promise<OpenItem[]> {
  const { rows } = await db.query<ItemRow>({
    name: 'slice-items',
    text: `${OPEN_ITEM_SELECT}
     FROM items WHERE job_id = $1 AND seq BETWEEN $2 AND $3 AND state IN ('pending', 'retry_wait') ORDER BY seq`,
    values: [jobId, firstSeq, lastSeq],
  });
  return rows.map(toOpenItem);
}

export async function requestRows(
  db: pg.ClientBase,
  jobId: string,
  seqs: readonly number[],
): Promise<{ seq: number; request: Buffer | null }[]> {
  const { rows } = await db.query<{ seq: number; request: Buffer | null }>({
    name: 'items-requests',
    text: 'SELECT seq, request FROM items WHERE job_id = $1 AND seq = ANY($2::int[])',
    values: [jobId, seqs],
  });
  return rows;
}

/**
 * The attempt ledger, fenced: only attempts in a slice `holder` still holds are recorded (and may then be sent).
 * Returns the seqs refused, whose slice went to another worker: they are not sent.
 */
export async function recordSent(
  db: pg.ClientBase,
  jobId: string,
  holder: string,
  sent: readonly SentAttempt[],
): Promise<number[]> {
  if (sent.length === 0) return [];
  const { rows } = await db.query<{ seq: number }>({
    name: 'sent-insert',
    text: `INSERT INTO sent_attempts (job_id, seq, attempt, holder, sent_at)
       SELECT $1, u.seq, u.attempt, $2, u.sent_at FROM unnest($3::int[], $4::int[], $5::bigint[]) AS u(seq, attempt, sent_at)
       WHERE EXISTS (SELECT 1 FROM slices s WHERE s.holder = $2 AND s.job_id = $1 AND s.state = 'open'
         AND u.seq BETWEEN s.first_seq AND s.last_seq)
       ON CONFLICT (job_id, seq, attempt) DO UPDATE SET holder = EXCLUDED.holder, sent_at = EXCLUDED.sent_at
       RETURNING seq`,
    values: [jobId, holder, sent.map((s) => s.seq), sent.map((s) => s.attempt), sent.map((s) => s.sentAt)],
  });
  const recorded = new Set(rows.map((row) => row.seq));
  return sent.map((s) => s.seq).filter((seq) => !recorded.has(seq));
}

/**
 * A worker's commit, in the caller's transaction: the slices `holder` holds in these jobs are locked against a
 * takeover (`FOR SHARE`: a claim waits for this commit, and a commit after a claim finds the slice gone); attempts and
 * updates in them are committed and their ledger rows closed; the rest is dropped. Returns the slices lost.
 */
export async function commitSliceProgress(
  db: pg.ClientBase,
  batches: readonly JobProgressBatch[],
  holder: string,
): Promise<SliceKey[]> {
  const jobIds = [...new Set(batches.map((batch) => batch.jobId))];
  const { rows } = await db.query<{ job_id: string; first_seq: number; last_seq: number }>({
    name: 'slices-held-lock',
    text: `SELECT job_id, first_seq, last_seq FROM slices
       WHERE job_id = ANY($1::text[]) AND holder = $2 AND state = 'open' FOR SHARE`,
    values: [jobIds, holder],
  });
  const held = new Map<string, { first: number; last: number }[]>();
  for (const row of rows) {
    const ranges = held.get(row.job_id) ?? [];
    ranges.push({ first: row.first_seq, last: row.last_seq });
    held.set(row.job_id, ranges);
  }
  const dropped: { jobId: string; seq: number }[] = [];
  const kept: JobProgressBatch[] = [];
  for (const batch of batches) {
    const ranges = held.get(batch.jobId) ?? [];
    const inHeld = (seq: number): boolean => ranges.some((range) => seq >= range.first && seq <= range.last);
    const attempts = batch.attempts.filter((attempt) => inHeld(attempt.seq));
    const updates = batch.updates.filter((update) => inHeld(update.seq));
    for (const { seq } of [...batch.attempts, ...batch.updates])
      if (!inHeld(seq)) dropped.push({ jobId: batch.jobId, seq });
    if (attempts.length > 0 || updates.length > 0) kept.push({ jobId: batch.jobId, attempts, updates });
  }
  // The ledger rows of these attempts stay until their slice is done: an attempt row now says it was committed, and
  // deleting them one commit at a time cost more than the rest of the commit (docs/decisions/0031).
  await commitProgress(db, kept);
  return dropped.length === 0 ? [] : slicesOf(db, dropped);
}

/** The slices these items fall in (those a worker lost: it stops them). */
async function slicesOf(db: pg.ClientBase, dropped: readonly { jobId: string; seq: number }[]): Promise<SliceKey[]> {
  const { rows } = await db.query<{ job_id: string; slice_no: number }>(
    `SELECT DISTINCT s.job_id, s.slice_no FROM slices s
     JOIN unnest($1::text[], $2::int[]) AS u(job_id, seq) ON s.job_id = u.job_id AND u.seq BETWEEN s.first_seq AND s.last_seq`,
    [dropped.map((entry) => entry.jobId), dropped.map((entry) => entry.seq)],
  );
  return rows.map((row) => ({ jobId: row.job_id, sliceNo: row.slice_no }));
}

export async function stopJobWork(db: pg.ClientBase, jobId: string, stop: WorkStop): Promise<void> {
  await db.query('UPDATE jobs SET work_stop_json = $2 WHERE id = $1 AND work_stop_json IS NULL', [
    jobId,
    JSON.stringify(stop),
  ]);
}

export async function workStop(db: pg.ClientBase, jobId: string): Promise<WorkStop | undefined> {
  const { rows } = await db.query<{ work_stop_json: string | null }>({
    name: 'job-work-stop',
    text: 'SELECT work_stop_json FROM jobs WHERE id = $1',
    values: [jobId],
  });
  const text = rows[0]?.work_stop_json;
  return text === null || text === undefined ? undefined : (JSON.parse(text) as WorkStop);
}
