/**
 * The items table: its rows turned into items, the state guard every item UPDATE carries (generated from the
 * transition table of core/states.ts; decision 0014), and the item reads of the PostgreSQL store.
 */
import type pg from 'pg';
import type { ItemCheck, ItemError, ItemLocation, ItemRecord, MissingReason } from '../../../core/item.ts';
import { assertItemTransition, canTransitionItem, ITEM_STATES, type ItemState } from '../../../core/states.ts';
import type { AnswerCount, GroupTokens, OpenItem, ReopenFrom, SettledItem } from '../../item-store.ts';

export interface ItemRow {
  seq: number;
  custom_id: string;
  line_no: number;
  byte_offset: number;
  byte_length: number;
  line_hash: number | null;
  state: string;
  attempts: number;
  missing_reason: string | null;
  status_code: number | null;
  request_id: string | null;
  /** An answer that came as text. */
  response_body: string | null;
  /** An answer that came as bytes (`ProviderResponse.body`), kept as they came. */
  response_raw: Buffer | null;
  error_json: string | null;
  completed_at: number | null;
  reasks: number;
  check_json: string | null;
  /** Only in the unfinished page: the attempt of the answer a re-asked item was re-asked for (`OpenItem.reaskBase`). */
  reask_base?: number | null;
}

export function toItemLocation(
  row: Pick<ItemRow, 'seq' | 'custom_id' | 'line_no' | 'byte_offset' | 'byte_length' | 'line_hash'>,
): ItemLocation {
  return {
    seq: row.seq,
    customId: row.custom_id,
    lineNo: row.line_no,
    byteOffset: row.byte_offset,
    byteLength: row.byte_length,
    lineHash: row.line_hash,
  };
}

// The location plus the rest, not a spread of it followed by more members: V8's slow path (decision 0037).
export function toItemRecord(row: ItemRow): ItemRecord {
  return Object.assign(toItemLocation(row), {
    state: row.state as ItemState,
    attempts: row.attempts,
    missingReason: row.missing_reason as MissingReason | null,
    statusCode: row.status_code,
    requestId: row.request_id,
    responseBody: row.response_raw ?? row.response_body,
    error: row.error_json === null ? null : (JSON.parse(row.error_json) as ItemError),
    reasks: row.reasks,
    check: row.check_json === null ? null : (JSON.parse(row.check_json) as ItemCheck),
  });
}

/** An unfinished item from its row; a re-asked one with the answer it was re-asked for and its check. */
export function toOpenItem(row: ItemRow): OpenItem {
  const item: OpenItem = Object.assign(toItemLocation(row), { attempts: row.attempts });
  if (row.reasks === 0) return item;
  item.reasks = row.reasks;
  if (row.reask_base !== undefined && row.reask_base !== null) item.reaskBase = row.reask_base;
  if (row.check_json === null) return item;
  const body = row.response_raw === null ? row.response_body : row.response_raw.toString('utf8');
  if (body !== null) item.previous = { responseBody: body, check: JSON.parse(row.check_json) as ItemCheck };
  return item;
}

/** The columns `toOpenItem` reads. */
export const OPEN_ITEM_COLUMNS =
  'seq, custom_id, line_no, byte_offset, byte_length, line_hash, attempts, reasks, response_body, response_raw, check_json';

export const ITEM_COLUMNS = `seq, custom_id, line_no, byte_offset, byte_length, line_hash, state, attempts, missing_reason,
  status_code, request_id, response_body, response_raw, error_json, completed_at, reasks, check_json`;

/**
 * The state guard of a statement that moves items from `from` to `to`: every item write carries one, so a write the
 * lifecycle forbids changes nothing. Checked when the SQL is built: a guard naming a forbidden move throws there.
 */
export function stateGuard(from: readonly ItemState[], to: ItemState, table = 'items'): string {
  for (const state of from) assertItemTransition(state, to);
  return `${table}.state IN (${from.map((state) => `'${state}'`).join(', ')})`;
}

/** The guard of a single item's update: any state the lifecycle lets it leave for `to`. */
export function anyStateBecoming(to: ItemState, table = 'items'): string {
  return stateGuard(
    Object.values(ITEM_STATES).filter((from) => canTransitionItem(from, to)),
    to,
    table,
  );
}

const UNFINISHED = stateGuard(['pending', 'retry_wait', 'in_flight'], 'cancelled');

type Page<Row> = (db: pg.ClientBase, jobId: string, afterSeq: number, limit: number) => Promise<Row[]>;

function seqPage<Row extends pg.QueryResultRow>(name: string, text: string): Page<Row> {
  return async (db, jobId, afterSeq, limit) =>
    (await db.query<Row>({ name, text, values: [jobId, afterSeq, limit] })).rows;
}

export const locationPage = seqPage<ItemRow>(
  'items-locations',
  `SELECT seq, custom_id, line_no, byte_offset, byte_length, line_hash FROM items WHERE job_id = $1 AND seq > $2
   ORDER BY seq LIMIT $3`,
);

/**
 * What `toOpenItem` reads, a re-asked item's `reask_base` included: the attempt whose answer was re-asked (recorded
 * with reask = reasks - 1 and its check, in the commit that made the item pending again); later attempts are the
 * current re-ask's own tries. Resume's pages and a worker's slices read open items with it.
 */
export const OPEN_ITEM_SELECT = `SELECT ${OPEN_ITEM_COLUMNS},
     CASE WHEN reasks = 0 THEN NULL ELSE (
       SELECT MAX(a.attempt) FROM attempts a
       WHERE a.job_id = items.job_id AND a.seq = items.seq AND a.reask = items.reasks - 1 AND a.check_status IS NOT NULL
     ) END AS reask_base`;

export const unfinishedPage = seqPage<ItemRow>(
  'items-unfinished',
  `${OPEN_ITEM_SELECT}
   FROM items WHERE job_id = $1 AND state IN ('pending', 'retry_wait', 'in_flight') AND seq > $2
   ORDER BY seq LIMIT $3`,
);

export const outcomePage = seqPage<{
  seq: number;
  custom_id: string;
  state: SettledItem['state'];
  check_status: string | null;
}>(
  'items-outcomes',
  `SELECT seq, custom_id, state, check_status FROM items
   WHERE job_id = $1 AND state IN ('succeeded', 'failed') AND seq > $2 ORDER BY seq LIMIT $3`,
);

export const pageBySeq = seqPage<ItemRow>(
  'items-by-seq',
  `SELECT ${ITEM_COLUMNS} FROM items WHERE job_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
);

export const notCompletedPage = seqPage<ItemRow>(
  'items-not-completed',
  `SELECT ${ITEM_COLUMNS} FROM items WHERE job_id = $1 AND completed_at IS NULL AND seq > $2 ORDER BY seq LIMIT $3`,
);

export const pendingPage = seqPage<ItemRow>(
  'items-pending',
  `SELECT ${OPEN_ITEM_COLUMNS} FROM items WHERE job_id = $1 AND state = 'pending' AND seq > $2 ORDER BY seq LIMIT $3`,
);

export async function completedPage(
  db: pg.ClientBase,
  jobId: string,
  after: { time: number; seq: number },
  limit: number,
): Promise<ItemRow[]> {
  const { rows } = await db.query<ItemRow>({
    name: 'items-completed',
    text: `SELECT ${ITEM_COLUMNS} FROM items WHERE job_id = $1 AND completed_at IS NOT NULL
       AND (completed_at, seq) > ($2, $3) ORDER BY completed_at, seq LIMIT $4`,
    values: [jobId, after.time, after.seq, limit],
  });
  return rows;
}

export async function chunkItemsPage(
  db: pg.ClientBase,
  jobId: string,
  chunkNo: number,
  afterSeq: number,
  limit: number,
): Promise<ItemRow[]> {
  const { rows } = await db.query<ItemRow>({
    name: 'items-in-chunk',
    text: `SELECT ${OPEN_ITEM_COLUMNS} FROM items WHERE job_id = $1 AND chunk_no = $2 AND state = 'in_flight' AND seq > $3
       ORDER BY seq LIMIT $4`,
    values: [jobId, chunkNo, afterSeq, limit],
  });
  return rows;
}

export async function answerCounts(db: pg.ClientBase, jobId: string, since: number): Promise<AnswerCount[]> {
  const { rows } = await db.query<{
    group_key: string | null;
    state: string;
    check_status: string | null;
    missing_reason: string | null;
    prompt: string | null;
    n: number;
    recent: number;
  }>(
    `SELECT group_key, state, check_status, missing_reason, prompt, COUNT(*) AS n,
       COUNT(*) FILTER (WHERE completed_at >= $1) AS recent
     FROM items WHERE job_id = $2 GROUP BY group_key, state, check_status, missing_reason, prompt`,
    [since, jobId],
  );
  return rows.map((row) => ({
    group: row.group_key,
    state: row.state,
    checkStatus: row.check_status,
    missingReason: row.missing_reason,
    prompt: row.prompt,
    count: row.n,
    recent: row.recent,
  }));
}

export async function groupTokens(db: pg.ClientBase, jobId: string): Promise<GroupTokens[]> {
  const { rows } = await db.query<{ group_key: string; input_tokens: number | null; output_tokens: number | null }>(
    `SELECT i.group_key, SUM(a.input_tokens) AS input_tokens, SUM(a.output_tokens) AS output_tokens
     FROM items i JOIN attempts a ON a.job_id = i.job_id AND a.seq = i.seq
     WHERE i.job_id = $1 AND i.group_key IS NOT NULL GROUP BY i.group_key`,
    [jobId],
  );
  return rows.map((row) => ({
    group: row.group_key,
    inputTokens: row.input_tokens ?? 0,
    outputTokens: row.output_tokens ?? 0,
  }));
}

/** The bulk moves: each touches only the items the lifecycle lets make it, and returns how many moved. */
export const BULK_MOVES = {
  /** `reopenItems(job, from)`, by `from`. */
  reopen: {
    failed: `UPDATE items SET state = 'pending', attempts = 0, error_json = NULL, status_code = NULL, completed_at = NULL
      WHERE job_id = $1 AND ${stateGuard(['failed'], 'pending')}`,
    cancelled: `UPDATE items SET state = 'pending', missing_reason = NULL
      WHERE job_id = $1 AND ${stateGuard(['cancelled'], 'pending')} AND (missing_reason IS NULL OR missing_reason <> 'limit')`,
    // Re-asked as the engine re-asks (the `reask` move): the answer and check stay; the run rebuilds the request.
    invalid: `UPDATE items SET state = 'pending', reasks = reasks + 1, completed_at = NULL
      WHERE job_id = $1 AND ${stateGuard(['succeeded'], 'pending')} AND check_status IN ('invalid', 'truncated')`,
  } satisfies Record<ReopenFrom, string>,
  cancelUnfinished: `UPDATE items SET missing_reason = $2, state = 'cancelled' WHERE job_id = $1 AND ${UNFINISHED}`,
} as const;

/**
 * After a multi-row update changed fewer items than asked: the first that did not move, checked against the item
 * lifecycle, which throws (rolling the caller's transaction back); an unknown item throws too.
 */
export async function refuseUnmoved(
  db: pg.ClientBase,
  jobId: string,
  wanted: readonly { seq: number; to: ItemState }[],
  moved: ReadonlySet<number>,
): Promise<void> {
  const first = wanted.find((update) => !moved.has(update.seq));
  if (first === undefined) return;
  const { rows } = await db.query<{ state: string }>('SELECT state FROM items WHERE job_id = $1 AND seq = $2', [
    jobId,
    first.seq,
  ]);
  const row = rows[0];
  if (row === undefined) throw new Error(`no item ${String(first.seq)} in job ${jobId}`);
  assertItemTransition(row.state as ItemState, first.to);
  // Reached when the guard and the table agree the move is allowed but a narrower guard (a chunk's) refused it.
  throw new Error(`item ${String(first.seq)} of job ${jobId} did not move to ${first.to}`);
}
