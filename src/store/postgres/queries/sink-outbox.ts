/** The sink outbox (`SinkOutboxStore`, decision 0026): which of a data job's rows each sink has been sent. */
import type pg from 'pg';
import type { SinkBatchRecord, SinkProgress, SinkStatusRecord } from '../../sink-outbox-store.ts';

/** Records a batch as pending, replacing a batch of that number already there (a crash's pending one). */
export async function recordSinkBatch(db: pg.ClientBase, jobId: string, batch: SinkBatchRecord): Promise<void> {
  await db.query(
    `INSERT INTO sink_batches (job_id, sink, batch_no, from_row, to_row, rows, state, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7)
     ON CONFLICT (job_id, sink, batch_no) DO UPDATE SET from_row = excluded.from_row, to_row = excluded.to_row,
       rows = excluded.rows, state = 'pending', created_at = excluded.created_at, done_at = NULL`,
    [jobId, batch.sink, batch.batchNo, batch.fromRow, batch.toRow, batch.rows, batch.now],
  );
}

export async function finishSinkBatch(
  db: pg.ClientBase,
  jobId: string,
  sink: string,
  batchNo: number,
  now: number,
): Promise<void> {
  await db.query(
    `UPDATE sink_batches SET state = 'done', done_at = $1
     WHERE job_id = $2 AND sink = $3 AND batch_no = $4 AND state = 'pending'`,
    [now, jobId, sink, batchNo],
  );
}

export async function sinkProgress(db: pg.ClientBase, jobId: string, sink: string): Promise<SinkProgress> {
  const { rows } = await db.query<{
    last_done: number | null;
    done_through: number | null;
    rows: number | null;
    done: number;
  }>(
    `SELECT MAX(batch_no) AS last_done, MAX(to_row) AS done_through, SUM(rows) AS rows, COUNT(*) AS done
       FROM sink_batches WHERE job_id = $1 AND sink = $2 AND state = 'done'`,
    [jobId, sink],
  );
  const row = rows[0];
  return {
    nextBatchNo: (row?.last_done ?? 0) + 1,
    doneThroughRow: row?.done_through ?? 0,
    rowsWritten: row?.rows ?? 0,
    batchesDone: row?.done ?? 0,
  };
}

export async function sinkStatuses(db: pg.ClientBase, jobId: string): Promise<SinkStatusRecord[]> {
  const { rows } = await db.query<{
    sink: string;
    done_through: number | null;
    rows: number | null;
    done: number;
    last_done_at: number | null;
    pending: number;
  }>(
    `SELECT sink, MAX(to_row) FILTER (WHERE state = 'done') AS done_through,
       SUM(rows) FILTER (WHERE state = 'done') AS rows, COUNT(*) FILTER (WHERE state = 'done') AS done,
       MAX(done_at) AS last_done_at, COUNT(*) FILTER (WHERE state = 'pending') AS pending
     FROM sink_batches WHERE job_id = $1 GROUP BY sink ORDER BY sink COLLATE "C"`,
    [jobId],
  );
  return rows.map((row) => ({
    sink: row.sink,
    rowsWritten: row.rows ?? 0,
    batchesDone: row.done,
    doneThroughRow: row.done_through ?? 0,
    lastDoneAt: row.last_done_at,
    pendingBatches: row.pending,
  }));
}

export async function resetSinkBatches(db: pg.ClientBase, jobId: string, sink: string): Promise<void> {
  await db.query('DELETE FROM sink_batches WHERE job_id = $1 AND sink = $2', [jobId, sink]);
}
