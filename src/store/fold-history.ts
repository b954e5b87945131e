import type { HistoryBucket, HistorySince } from './item-browse-store.ts';

/** A row of either store's history query: one bucket's attempts of one outcome. */
export interface HistoryRow {
  at: number;
  outcome: string;
  n: number;
  input_tokens: number;
  output_tokens: number;
  last_row: number;
  last_at: number;
}

/** The rows of a history query (by bucket, then outcome) as buckets, and the ledger row read up to. */
export function foldHistory(rows: readonly HistoryRow[], afterRow: number): HistorySince {
  const buckets: HistoryBucket[] = [];
  let lastRow = afterRow;
  for (const row of rows) {
    lastRow = Math.max(lastRow, row.last_row);
    let bucket = buckets.at(-1);
    if (bucket?.at !== row.at) {
      bucket = { at: row.at, ok: 0, failed: 0, failures: {}, inputTokens: 0, outputTokens: 0, lastAt: row.last_at };
      buckets.push(bucket);
    }
    if (row.outcome === 'ok') bucket.ok += row.n;
    else {
      bucket.failed += row.n;
      bucket.failures[row.outcome] = (bucket.failures[row.outcome] ?? 0) + row.n;
    }
    bucket.inputTokens += row.input_tokens;
    bucket.outputTokens += row.output_tokens;
    bucket.lastAt = Math.max(bucket.lastAt, row.last_at);
  }
  return { lastRow, buckets };
}
