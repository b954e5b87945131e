/**
 * Where a data job's rows go as they arrive (issue 13, SPEC section 12): a vector table, part files, a webhook.
 * The contract every sink meets; the sink runner (batches, the outbox, retries) is compose/'s, not a sink's.
 *
 * Contract:
 * - `open` runs before anything is sent: it makes the target or checks it (a LanceDB table's schema: new nullable
 *   columns are added, an incompatible change throws SINK_SCHEMA_INCOMPATIBLE with the difference).
 * - `write` is idempotent per batch: writing the same batch again leaves the target as one write did (upsert on
 *   the key, a part file named by batch number, an idempotency key on an HTTP POST). The runner records a batch
 *   before writing it and marks it after, so after a crash it writes it again.
 * - A failure the runner should retry (the target unreachable, busy, timing out) throws SinkError
 *   SINK_UNAVAILABLE; any other throw stops the run.
 * - Nothing a sink throws or logs may carry a secret (a webhook's auth header, the job's API key).
 */

/** One row as a sink receives it. */
export interface SinkRow {
  /** The row's key in the target: the sink's `key` field of the row, else the data row key. */
  key: string;
  /** The row's group (`data.group_by`), when the job has groups. */
  group?: string;
  /** The enriched row (build-enriched-row.ts), or the sink's projection of it. */
  row: Readonly<Record<string, unknown>>;
}

/** The rows of one write, numbered per sink from 1 in the order the runner records them. */
export interface SinkBatch {
  batchNo: number;
  rows: readonly SinkRow[];
}

export interface Sink {
  /** The sink's name in the config (`sinks[].name`), unique in a job. */
  readonly name: string;
  open(): Promise<void>;
  write(batch: SinkBatch): Promise<void>;
  /**
   * Keys already in the target per value of `groupField` (`groups.already_from`); undefined when the sink cannot
   * say (a webhook).
   */
  countByGroup?(groupField: string): Promise<Map<string, number> | undefined>;
  close(): Promise<void>;
}
