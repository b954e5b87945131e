/**
 * The sink outbox role of the store (issue 13, decision 0026): which of a data job's rows each sink has been sent.
 *
 * Rows reach a sink in source order, in batches that each cover a range of row indexes (`fromRow` inclusive,
 * `toRow` exclusive). A batch is recorded `pending` before it is written to the sink and `done` after, so a crash
 * between the two leaves it pending: the next walk starts again after the sink's last done batch (its watermark),
 * makes that batch again under the same number and writes it again, which the sink's idempotent write makes
 * harmless. A sink's whole progress is therefore one number, the `toRow` of its last done batch.
 */
export interface SinkOutboxStore {
  /** Records a batch as pending: a batch of that number already there (a crash's pending one) is replaced. */
  recordSinkBatch(jobId: string, batch: SinkBatchRecord): Promise<void>;
  /** Marks a batch done. A batch that is not recorded, or is done already, changes nothing. */
  finishSinkBatch(jobId: string, sink: string, batchNo: number, now: number): Promise<void>;
  /** Where a sink stands: its next batch number and the rows done (0 and 1 for a sink never written). */
  sinkProgress(jobId: string, sink: string): Promise<SinkProgress>;
  /** Where every sink of the job with a batch recorded stands, by name: what `status` and `monitor` show. */
  sinkStatuses(jobId: string): Promise<SinkStatusRecord[]>;
  /** Forgets a sink's batches (`batchpilot sink JOB` sends every row again, from the first). */
  resetSinkBatches(jobId: string, sink: string): Promise<void>;
}

export interface SinkBatchRecord {
  sink: string;
  batchNo: number;
  fromRow: number;
  toRow: number;
  /** The rows written (those the sink wants, among the range). */
  rows: number;
  now: number;
}

export interface SinkProgress {
  /** The number the next batch gets: one after the last done batch (a pending one is made again). */
  nextBatchNo: number;
  /** Rows before this index are in the sink: the `toRow` of the last done batch, 0 when none. */
  doneThroughRow: number;
  /** Rows written by done batches, and how many batches are done. */
  rowsWritten: number;
  batchesDone: number;
}

/** One sink's batches as the live view reads them (`SinkOutboxStore.sinkStatuses`). */
export interface SinkStatusRecord {
  sink: string;
  /** Rows written by done batches, how many batches are done, and the `toRow` of the last done one (0 when none). */
  rowsWritten: number;
  batchesDone: number;
  doneThroughRow: number;
  /** When the last done batch was confirmed; null when none is. */
  lastDoneAt: number | null;
  /** Batches recorded but not confirmed: being written now, or left by a crash (made again by the next walk). */
  pendingBatches: number;
}
