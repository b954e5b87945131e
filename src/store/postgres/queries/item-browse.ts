/** The dashboard's reads of items (docs/decisions/0038), as the SQLite store's `item-browse.ts` has them. */
import type pg from 'pg';
import type { HistorySince, ItemDetail, ItemFilter, ItemSummary } from '../../item-browse-store.ts';
import {
  ATTEMPT_COLUMNS,
  summaryColumns,
  toAttemptRecord,
  toItemSummary,
  type AttemptRow,
  type SummaryRow,
} from '../../item-browse-rows.ts';
import { foldHistory, type HistoryRow } from '../../fold-history.ts';
import { itemFilterClause, POSTGRES_FILTER } from '../../item-filter-clause.ts';
import { ITEM_COLUMNS, toItemRecord, type ItemRow } from './items.ts';

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
    `SELECT ${summaryColumns(POSTGRES_FILTER)} FROM items WHERE job_id = $1 AND seq > $2${clause.sql} ORDER BY seq LIMIT ${limitAt}`,
    [jobId, afterSeq, ...clause.values, limit],
  );
  return rows.map(toItemSummary);
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
  const { rows } = await db.query<
    ItemRow & { group_key: string | null; prompt: string | null; request: Buffer | null }
  >(`SELECT ${ITEM_COLUMNS}, group_key, prompt, request FROM items WHERE job_id = $1 AND seq = $2`, [jobId, seq]);
  const row = rows[0];
  if (row === undefined) return undefined;
  const attempts = await db.query<AttemptRow>(
    `SELECT ${ATTEMPT_COLUMNS} FROM attempts WHERE job_id = $1 AND seq = $2 ORDER BY attempt, id`,
    [jobId, seq],
  );
  return {
    item: toItemRecord(row),
    group: row.group_key,
    prompt: row.prompt,
    completedAt: row.completed_at === null ? null : Number(row.completed_at),
    request: row.request === null ? null : row.request.toString('utf8'),
    attempts: attempts.rows.map(toAttemptRecord),
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
