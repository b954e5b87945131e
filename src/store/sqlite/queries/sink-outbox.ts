import type { Database } from 'better-sqlite3';
import type { SinkBatchRecord, SinkProgress, SinkStatusRecord } from '../../sink-outbox-store.ts';

/** @internal Left out of the .d.ts (stripInternal): its inferred type names better-sqlite3's unexported namespace. */
export function prepareSinkOutboxQueries(db: Database) {
  const record = db.prepare<[string, string, number, number, number, number, number]>(
    `INSERT INTO sink_batches (job_id, sink, batch_no, from_row, to_row, rows, state, created_at)
     VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)
     ON CONFLICT (job_id, sink, batch_no) DO UPDATE SET from_row = excluded.from_row, to_row = excluded.to_row,
       rows = excluded.rows, state = 'pending', created_at = excluded.created_at, done_at = NULL`,
  );
  const finish = db.prepare<[number, string, string, number]>(
    `UPDATE sink_batches SET state = 'done', done_at = ? WHERE job_id = ? AND sink = ? AND batch_no = ? AND state = 'pending'`,
  );
  const progress = db.prepare<
    [string, string],
    { last_done: number | null; done_through: number | null; rows: number | null; done: number }
  >(
    `SELECT MAX(batch_no) AS last_done, MAX(to_row) AS done_through, SUM(rows) AS rows, COUNT(*) AS done
       FROM sink_batches WHERE job_id = ? AND sink = ? AND state = 'done'`,
  );
  const statuses = db.prepare<
    [string],
    {
      sink: string;
      done_through: number | null;
      rows: number | null;
      done: number;
      last_done_at: number | null;
      pending: number;
    }
  >(
    `SELECT sink, MAX(CASE WHEN state = 'done' THEN to_row END) AS done_through,
       SUM(CASE WHEN state = 'done' THEN rows END) AS rows, SUM(state = 'done') AS done,
       MAX(done_at) AS last_done_at, SUM(state = 'pending') AS pending
     FROM sink_batches WHERE job_id = ? GROUP BY sink ORDER BY sink`,
  );
  const reset = db.prepare<[string, string]>('DELETE FROM sink_batches WHERE job_id = ? AND sink = ?');
  return {
    recordSinkBatch(jobId: string, batch: SinkBatchRecord): void {
      record.run(jobId, batch.sink, batch.batchNo, batch.fromRow, batch.toRow, batch.rows, batch.now);
    },
    finishSinkBatch(jobId: string, sink: string, batchNo: number, now: number): void {
      finish.run(now, jobId, sink, batchNo);
    },
    sinkProgress(jobId: string, sink: string): SinkProgress {
      const row = progress.get(jobId, sink);
      return {
        nextBatchNo: (row?.last_done ?? 0) + 1,
        doneThroughRow: row?.done_through ?? 0,
        rowsWritten: row?.rows ?? 0,
        batchesDone: row?.done ?? 0,
      };
    },
    sinkStatuses(jobId: string): SinkStatusRecord[] {
      return statuses.all(jobId).map((row) => ({
        sink: row.sink,
        rowsWritten: row.rows ?? 0,
        batchesDone: row.done,
        doneThroughRow: row.done_through ?? 0,
        lastDoneAt: row.last_done_at,
        pendingBatches: row.pending,
      }));
    },
    resetSinkBatches(jobId: string, sink: string): void {
      reset.run(jobId, sink);
    },
  };
}
