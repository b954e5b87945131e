/**
 * The dashboard's reads of items (docs/decisions/0038): filtered pages by keyset on seq, counts up to a cap, and one
 * item with its attempts. A statement is prepared once per filter shape (which members are set), not per call.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { ItemState } from '../../../core/states.ts';
import type { AttemptRecord, HistorySince, ItemFilter, ItemSummary } from '../../item-browse-store.ts';
import { foldHistory, type HistoryRow } from '../../fold-history.ts';
import { itemFilterClause, SQLITE_FILTER } from '../../item-filter-clause.ts';
import { ITEM_FIELDS, type ItemRow } from './items.ts';

interface SummaryRow {
  seq: number;
  custom_id: string;
  line_no: number;
  state: string;
  attempts: number;
  reasks: number;
  status_code: number | null;
  error_code: string | null;
  check_status: string | null;
  group_key: string | null;
  completed_at: number | null;
}

interface AttemptRow {
  attempt: number;
  started_at: number;
  latency_ms: number;
  status_code: number | null;
  outcome: string;
  input_tokens: number | null;
  output_tokens: number | null;
  reask: number | null;
  check_status: string | null;
}

const SUMMARY_COLUMNS = `seq, custom_id, line_no, state, attempts, reasks, status_code,
  ${SQLITE_FILTER.errorCode} AS error_code, check_status, group_key, completed_at`;

export function toItemSummary(row: SummaryRow): ItemSummary {
  return {
    seq: row.seq,
    customId: row.custom_id,
    lineNo: row.line_no,
    state: row.state as ItemState,
    attempts: row.attempts,
    reasks: row.reasks,
    statusCode: row.status_code,
    errorCode: row.error_code,
    checkStatus: row.check_status,
    group: row.group_key,
    completedAt: row.completed_at,
  };
}

export function toAttemptRecord(row: AttemptRow): AttemptRecord {
  return {
    attempt: row.attempt,
    startedAt: row.started_at,
    latencyMs: row.latency_ms,
    statusCode: row.status_code,
    outcome: row.outcome,
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    reask: row.reask,
    checkStatus: row.check_status,
  };
}

/** @internal Its inferred type names better-sqlite3's unexported namespace. */
export function prepareItemBrowse(db: Database) {
  const pages = new Map<string, Statement<unknown[], SummaryRow>>();
  const counts = new Map<string, Statement<unknown[], { n: number }>>();
  const attempts = db.prepare<[string, number], AttemptRow>(
    `SELECT attempt, started_at, latency_ms, status_code, outcome, input_tokens, output_tokens, reask, check_status
     FROM attempts WHERE job_id = ? AND seq = ? ORDER BY attempt`,
  );
  const item = db.prepare<[string, number], ItemRow & { group_key: string | null }>(
    `SELECT ${ITEM_FIELDS.join(', ')}, group_key FROM items WHERE job_id = ? AND seq = ?`,
  );
  const history = db.prepare<[number, string, number], HistoryRow>(
    `SELECT started_at - started_at % CAST(? AS INTEGER) AS at, outcome, COUNT(*) AS n,
       COALESCE(SUM(input_tokens), 0) AS input_tokens, COALESCE(SUM(output_tokens), 0) AS output_tokens,
       MAX(rowid) AS last_row, MAX(started_at + latency_ms) AS last_at
     FROM attempts WHERE job_id = ? AND rowid > ? GROUP BY 1, 2 ORDER BY 1`,
  );
  return {
    history(jobId: string, afterRow: number, bucketMs: number): HistorySince {
      return foldHistory(history.all(bucketMs, jobId, afterRow), afterRow);
    },
    page(jobId: string, filter: ItemFilter, afterSeq: number, limit: number): ItemSummary[] {
      const clause = itemFilterClause(filter, SQLITE_FILTER, 3);
      let statement = pages.get(clause.sql);
      if (statement === undefined) {
        statement = db.prepare(
          `SELECT ${SUMMARY_COLUMNS} FROM items WHERE job_id = ? AND seq > ?${clause.sql} ORDER BY seq LIMIT ?`,
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
    item(jobId: string, seq: number): (ItemRow & { group_key: string | null }) | undefined {
      return item.get(jobId, seq);
    },
  };
}
