/**
 * The dashboard's reads of items (docs/decisions/0038): filtered pages by keyset on seq, counts up to a cap, and one
 * item with its attempts. A statement is prepared once per filter shape (which members are set), not per call.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { AttemptRecord, HistorySince, ItemFilter, ItemSummary } from '../../item-browse-store.ts';
import {
  ATTEMPT_COLUMNS,
  summaryColumns,
  toAttemptRecord,
  toItemSummary,
  type AttemptRow,
  type SummaryRow,
} from '../../item-browse-rows.ts';
import { foldHistory, type HistoryRow } from '../../fold-history.ts';
import { itemFilterClause, SQLITE_FILTER } from '../../item-filter-clause.ts';
import { ITEM_FIELDS, type ItemRow } from './items.ts';

/** @internal Its inferred type names better-sqlite3's unexported namespace. */
export function prepareItemBrowse(db: Database) {
  const pages = new Map<string, Statement<unknown[], SummaryRow>>();
  const counts = new Map<string, Statement<unknown[], { n: number }>>();
  const attempts = db.prepare<[string, number], AttemptRow>(
    `SELECT ${ATTEMPT_COLUMNS} FROM attempts WHERE job_id = ? AND seq = ? ORDER BY attempt`,
  );
  const item = db.prepare<[string, number], ItemRow & { group_key: string | null; prompt: string | null }>(
    `SELECT ${ITEM_FIELDS.join(', ')}, group_key, prompt FROM items WHERE job_id = ? AND seq = ?`,
  );
  const historyFrom = (where: string): Statement<[number, string, number], HistoryRow> =>
    db.prepare(
      `SELECT started_at - started_at % CAST(? AS INTEGER) AS at, outcome, COUNT(*) AS n,
         COALESCE(SUM(input_tokens), 0) AS input_tokens, COALESCE(SUM(output_tokens), 0) AS output_tokens,
         MAX(rowid) AS last_row, MAX(started_at + latency_ms) AS last_at
       FROM attempts WHERE ${where} GROUP BY 1, 2 ORDER BY 1`,
    );
  // A job's whole ledger (after row 0) is read through the job's index; the rows after one already read, by rowid:
  // through the job's index SQLite read every attempt of the job to find the new ones (48 ms a second at 1,000,000).
  const history = historyFrom('job_id = ? AND rowid > ?');
  const historySince = historyFrom('+job_id = ? AND rowid > ?');
  return {
    history(jobId: string, afterRow: number, bucketMs: number): HistorySince {
      const statement = afterRow <= 0 ? history : historySince;
      return foldHistory(statement.all(bucketMs, jobId, afterRow), afterRow);
    },
    page(jobId: string, filter: ItemFilter, afterSeq: number, limit: number): ItemSummary[] {
      const clause = itemFilterClause(filter, SQLITE_FILTER, 3);
      let statement = pages.get(clause.sql);
      if (statement === undefined) {
        statement = db.prepare(
          `SELECT ${summaryColumns(SQLITE_FILTER)} FROM items WHERE job_id = ? AND seq > ?${clause.sql} ORDER BY seq LIMIT ?`,
        );
        pages.set(clause.sql, statement);
      }
      return statement.all(jobId, afterSeq, ...clause.values, limit).map(toItemSummary);
    },
    count(jobId: string, filter: ItemFilter, cap: number): number {
      const clause = itemFilterClause(filter, SQLITE_FILTER, 2);
      let statement = counts.get(clause.sql);
      if (statement === undefined) {
        // Counted within a capped subquery: a filter matching most of a million items stops at the cap.
        statement = db.prepare(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM items WHERE job_id = ?${clause.sql} LIMIT ?)`);
        counts.set(clause.sql, statement);
      }
      return statement.get(jobId, ...clause.values, cap)?.n ?? 0;
    },
    attempts(jobId: string, seq: number): AttemptRecord[] {
      return attempts.all(jobId, seq).map(toAttemptRecord);
    },
    item(jobId: string, seq: number): (ItemRow & { group_key: string | null; prompt: string | null }) | undefined {
      return item.get(jobId, seq);
    },
  };
}
