/** The dashboard's reads of items (docs/decisions/0038), as the SQLite store's `item-browse.ts` has them. */
import type pg from 'pg';
import type { ItemState } from '../../../core/states.ts';
import type { AttemptRecord, HistorySince, ItemDetail, ItemFilter, ItemSummary } from '../../item-browse-store.ts';
import { foldHistory, type HistoryRow } from '../../fold-history.ts';
import { itemFilterClause, POSTGRES_FILTER } from '../../item-filter-clause.ts';
import { ITEM_COLUMNS, toItemRecord, type ItemRow } from './items.ts';

const SUMMARY_COLUMNS = `seq, custom_id, line_no, state, attempts, reasks, status_code,
  ${POSTGRES_FILTER.errorCode} AS error_code, check_status, group_key, completed_at`;

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

export async function itemPage(
  db: pg.ClientBase,
  jobId: string,
  filter: ItemFilter,
  afterSeq: number,
  limit: number,
): Promise<ItemSummary[]> {
  const clause = itemFilterClause(filter, POSTGRES_FILTER, 3);
  const limitAt = `$${String(3 + clause.values.length)}`;
  const { rows } = await db.query<SummaryRow>(
    `SELECT ${SUMMARY_COLUMNS} FROM items WHERE job_id = $1 AND seq > $2${clause.sql} ORDER BY seq LIMIT ${limitAt}`,
    [jobId, afterSeq, ...clause.values, limit],
  );
  return rows.map((row) => ({
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
  }));
}

export async function countItems(db: pg.ClientBase, jobId: string, filter: ItemFilter, cap: number): Promise<number> {
  const clause = itemFilterClause(filter, POSTGRES_FILTER, 2);
  const { rows } = await db.query<{ n: number }>(
    `SELECT COUNT(*) AS n FROM (SELECT 1 FROM items WHERE job_id = $1${clause.sql} LIMIT $${String(2 + clause.values.length)}) capped`,
    [jobId, ...clause.values, cap],
  );
  return rows[0]?.n ?? 0;
}

export async function itemDetail(db: pg.ClientBase, jobId: string, seq: number): Promise<ItemDetail | undefined> {
  const { rows } = await db.query<ItemRow & { group_key: string | null; request: Buffer | null }>(
    `SELECT ${ITEM_COLUMNS}, group_key, request FROM items WHERE job_id = $1 AND seq = $2`,
    [jobId, seq],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  const attempts = await db.query<{
    attempt: number;
    started_at: number;
    latency_ms: number;
    status_code: number | null;
    outcome: string;
    input_tokens: number | null;
    output_tokens: number | null;
    reask: number | null;
    check_status: string | null;
  }>(
    `SELECT attempt, started_at, latency_ms, status_code, outcome, input_tokens, output_tokens, reask, check_status
     FROM attempts WHERE job_id = $1 AND seq = $2 ORDER BY attempt, id`,
    [jobId, seq],
  );
  return {
    item: toItemRecord(row),
    group: row.group_key,
    request: row.request === null ? null : row.request.toString('utf8'),
    attempts: attempts.rows.map((attempt): AttemptRecord => ({
      attempt: attempt.attempt,
      startedAt: attempt.started_at,
      latencyMs: attempt.latency_ms,
      statusCode: attempt.status_code,
      outcome: attempt.outcome,
      inputTokens: attempt.input_tokens,
      outputTokens: attempt.output_tokens,
      reask: attempt.reask,
      checkStatus: attempt.check_status,
    })),
  };
}

export async function attemptHistory(
  db: pg.ClientBase,
  jobId: string,
  afterRow: number,
  bucketMs: number,
): Promise<HistorySince> {
  const { rows } = await db.query<HistoryRow>(
    `SELECT (started_at - started_at % $1) AS at, outcome, COUNT(*) AS n, COALESCE(SUM(input_tokens), 0) AS input_tokens,
       COALESCE(SUM(output_tokens), 0) AS output_tokens, MAX(id) AS last_row, MAX(started_at + latency_ms) AS last_at
     FROM attempts WHERE job_id = $2 AND id > $3 GROUP BY 1, 2 ORDER BY 1`,
    [bucketMs, jobId, afterRow],
  );
  return foldHistory(rows, afterRow);
}
