import type { SinkStatus } from '../../compose/status/job-status.ts';

/** `lancedb: 120 rows in 3 batches, lag 14 rows, last batch 2 s ago` in `status` and `monitor`. */
export function describeSink(sink: SinkStatus): string {
  const lag = sink.lag_rows === null ? 'lag —' : `lag ${String(sink.lag_rows)} rows`;
  const last = sink.last_batch_age_s === null ? 'no batch yet' : `last batch ${String(sink.last_batch_age_s)} s ago`;
  const pending = sink.pending_batches === 0 ? '' : `, ${String(sink.pending_batches)} batch being written`;
  return `${sink.name}: ${String(sink.rows_written)} rows in ${String(sink.batches)} batches, ${lag}, ${last}${pending}`;
}
