/**
 * The items table: its rows turned into items, the state guard every item UPDATE carries (generated from the
 * transition table of core/states.ts; decision 0014), and the item statements of the SQLite store.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { ItemCheck, ItemError, ItemLocation, ItemRecord, MissingReason } from '../../../core/item.ts';
import type { OpenItem, ReopenFrom } from '../../item-store.ts';
import { prepareRows } from './prepare-rows.ts';
import { assertItemTransition, canTransitionItem, ITEM_STATES, type ItemState } from '../../../core/states.ts';

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
  response_body: string | null;
  /** Set when the answer is in `response_parts` (migration 0004): its length in bytes. */
  response_bytes: number | null;
  error_json: string | null;
  completed_at: number | null;
  /** Migration 0007. */
  reasks: number;
  check_json: string | null;
  /** Only in `unfinishedPage`: the attempt of the answer a re-asked item was re-asked for (`OpenItem.reaskBase`). */
  reask_base?: number | null;
}

/** Where an item's line is, as any page of item rows has it. */
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

/**
 * Every column of `ItemRow` (`reask_base` is computed, by `unfinishedPage` only). Whole items are read by the page
 * (every answer, to write the result files) through `prepareRows`, and built by `toItemRecord` from the item's
 * location plus the rest, not a spread of it followed by more members: V8 builds that on a slow path, about 5 µs an
 * item (decision 0037).
 */
export const ITEM_FIELDS = [
  'seq',
  'custom_id',
  'line_no',
  'byte_offset',
  'byte_length',
  'line_hash',
  'state',
  'attempts',
  'missing_reason',
  'status_code',
  'request_id',
  'response_body',
  'response_bytes',
  'error_json',
  'completed_at',
  'reasks',
  'check_json',
] as const satisfies readonly (keyof ItemRow)[];

export function toItemRecord(row: ItemRow): ItemRecord {
  return Object.assign(toItemLocation(row), {
    state: row.state as ItemState,
    attempts: row.attempts,
    missingReason: row.missing_reason as MissingReason | null,
    statusCode: row.status_code,
    requestId: row.request_id,
    responseBody: row.response_body,
    error: row.error_json === null ? null : (JSON.parse(row.error_json) as ItemError),
    reasks: row.reasks,
    check: row.check_json === null ? null : (JSON.parse(row.check_json) as ItemCheck),
  });
}

/** The columns `toOpenItem` reads. */
export const OPEN_ITEM_FIELDS = [
  'seq',
  'custom_id',
  'line_no',
  'byte_offset',
  'byte_length',
  'line_hash',
  'attempts',
  'reasks',
  'response_body',
  'response_bytes',
  'check_json',
] as const satisfies readonly (keyof ItemRow)[];

export type OpenItemRow = Pick<ItemRow, (typeof OPEN_ITEM_FIELDS)[number]>;

export const OPEN_ITEM_COLUMNS = OPEN_ITEM_FIELDS.join(', ');

/**
 * An unfinished item from its row; a re-asked one with the answer it was re-asked for and its check
 * (`readParts` reads an answer kept in parts, migration 0004).
 */
export function toOpenItem(
  row: OpenItemRow & Pick<Partial<ItemRow>, 'reask_base'>,
  readParts: (seq: number, length: number) => Uint8Array,
): OpenItem {
  const item: OpenItem = Object.assign(toItemLocation(row), { attempts: row.attempts });
  if (row.reasks === 0) return item;
  item.reasks = row.reasks;
  if (row.reask_base !== undefined && row.reask_base !== null) item.reaskBase = row.reask_base;
  if (row.check_json === null) return item;
  const body =
    row.response_bytes === null
      ? row.response_body
      : Buffer.from(readParts(row.seq, row.response_bytes)).toString('utf8');
  if (body !== null) item.previous = { responseBody: body, check: JSON.parse(row.check_json) as ItemCheck };
  return item;
}

/** The states an item may move to `to` from, by the item lifecycle (core/states.ts). */
function itemStatesBecoming(to: ItemState): ItemState[] {
  return Object.values(ITEM_STATES).filter((from) => canTransitionItem(from, to));
}

/**
 * The state guard of a statement that moves items from `from` to `to`: every item write
 * carries one, so a write the lifecycle forbids changes nothing. Checked when the statement
 * is prepared: a guard naming a forbidden move throws there, not at run time.
 *
 * Written as `(state = 'a' OR state = 'b')`, not `state IN ('a', 'b')`: SQLite builds an
 * ephemeral table for an IN list on every run of the statement, which measured about 1 µs per
 * item update (200,000 updates: 240 ms bare, 450-900 ms with IN, 200-430 ms with ORs).
 */
export function stateGuard(from: readonly ItemState[], to: ItemState): string {
  for (const state of from) assertItemTransition(state, to);
  return `(${from.map((state) => `state = '${state}'`).join(' OR ')})`;
}

/** The guard of a single item's update: any state the lifecycle lets it leave for `to`. */
function anyStateBecoming(to: ItemState): string {
  return stateGuard(itemStatesBecoming(to), to);
}

const UNFINISHED = stateGuard(['pending', 'retry_wait', 'in_flight'], 'cancelled');

/** @internal Left out of the .d.ts (stripInternal): its inferred type names better-sqlite3's unexported namespace. */
export function prepareItemQueries(db: Database) {
  return {
    insert: db.prepare<
      [
        string,
        number,
        string,
        number,
        number,
        number,
        number | null,
        string,
        string | null,
        string | null,
        string | null,
      ]
    >(
      `INSERT INTO items (job_id, seq, custom_id, line_no, byte_offset, byte_length, line_hash, state, missing_reason, group_key,
         prompt)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    ),
    outcomePage: db.prepare<
      [string, number, number],
      { seq: number; custom_id: string; state: 'succeeded' | 'failed'; check_status: string | null }
    >(
      `SELECT seq, custom_id, state, check_status FROM items
       WHERE job_id = ? AND state IN ('succeeded', 'failed') AND seq > ? ORDER BY seq LIMIT ?`,
    ),
    groupTokens: db.prepare<[string], { group_key: string; input_tokens: number | null; output_tokens: number | null }>(
      `SELECT i.group_key, SUM(a.input_tokens) AS input_tokens, SUM(a.output_tokens) AS output_tokens
       FROM items i JOIN attempts a ON a.job_id = i.job_id AND a.seq = i.seq
       WHERE i.job_id = ? AND i.group_key IS NOT NULL GROUP BY i.group_key`,
    ),
    answerCounts: db.prepare<
      [number, string],
      {
        group_key: string | null;
        state: string;
        check_status: string | null;
        missing_reason: string | null;
        prompt: string | null;
        n: number;
        recent: number | null;
      }
    >(
      // In the order of `items_job_tally` (migration 0012), which holds every column read: counted from the index alone.
      `SELECT group_key, state, check_status, missing_reason, prompt, COUNT(*) AS n, SUM(completed_at >= ?) AS recent
       FROM items WHERE job_id = ? GROUP BY group_key, state, check_status, missing_reason, prompt`,
    ),
    findCustomIdLine: db.prepare<[string, string], { line_no: number }>(
      'SELECT line_no FROM items WHERE job_id = ? AND custom_id = ?',
    ),
    stateOf: db.prepare<[string, number], { state: string }>('SELECT state FROM items WHERE job_id = ? AND seq = ?'),
    succeed: db.prepare<
      [
        number,
        number,
        string | null,
        string | null,
        number | null,
        number,
        string | null,
        string | null,
        string,
        number,
      ]
    >(
      `UPDATE items SET state = 'succeeded', attempts = ?, status_code = ?, request_id = ?, response_body = ?, response_bytes = ?,
         error_json = NULL, missing_reason = NULL, completed_at = ?, check_json = ?, check_status = ?
       WHERE job_id = ? AND seq = ? AND ${anyStateBecoming('succeeded')}`,
    ),
    // A re-ask (docs/decisions/0019): back to pending with its answer and check kept, from a realtime attempt.
    reask: db.prepare<
      [number, number, number, string | null, string | null, number | null, string, string, string, number]
    >(
      `UPDATE items SET state = 'pending', attempts = ?, reasks = ?, status_code = ?, request_id = ?, response_body = ?,
         response_bytes = ?, check_json = ?, check_status = ?, error_json = NULL, missing_reason = NULL, completed_at = NULL
       WHERE job_id = ? AND seq = ? AND ${stateGuard(['pending', 'retry_wait'], 'pending')}`,
    ),
    fail: db.prepare<[number, string, number | null, number, string, number]>(
      `UPDATE items SET state = 'failed', attempts = ?, error_json = ?, status_code = ?,
         missing_reason = NULL, completed_at = ? WHERE job_id = ? AND seq = ? AND ${anyStateBecoming('failed')}`,
    ),
    retryWait: db.prepare<[number, string, string, number]>(
      `UPDATE items SET state = 'retry_wait', attempts = ?, error_json = ?
       WHERE job_id = ? AND seq = ? AND ${anyStateBecoming('retry_wait')}`,
    ),
    cancel: db.prepare<[number, string, string, number]>(
      `UPDATE items SET state = 'cancelled', attempts = ?, missing_reason = ?
       WHERE job_id = ? AND seq = ? AND ${anyStateBecoming('cancelled')}`,
    ),
    // A re-asked item's reask_base: the attempt whose answer was re-asked (recorded with reask = reasks - 1 and its
    // check, in the commit that made the item pending again); later attempts are the current re-ask's own tries.
    unfinishedPage: db.prepare<[string, number, number], ItemRow>(
      `SELECT ${OPEN_ITEM_COLUMNS},
         CASE WHEN reasks = 0 THEN NULL ELSE (
           SELECT MAX(a.attempt) FROM attempts a
           WHERE a.job_id = items.job_id AND a.seq = items.seq AND a.reask = items.reasks - 1 AND a.check_status IS NOT NULL
         ) END AS reask_base
       FROM items WHERE job_id = ? AND state IN ('pending', 'retry_wait', 'in_flight') AND seq > ?
       ORDER BY seq LIMIT ?`,
    ),
    locationPage: db.prepare<[string, number, number], ItemRow>(
      `SELECT seq, custom_id, line_no, byte_offset, byte_length, line_hash FROM items WHERE job_id = ? AND seq > ?
       ORDER BY seq LIMIT ?`,
    ),
    pageBySeq: prepareRows<[string, number, number], ItemRow>(
      db,
      ITEM_FIELDS,
      'FROM items WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?',
    ),
    completedPage: prepareRows<[string, number, number, number, number], ItemRow>(
      db,
      ITEM_FIELDS,
      `FROM items WHERE job_id = ? AND completed_at IS NOT NULL
         AND (completed_at > ? OR (completed_at = ? AND seq > ?)) ORDER BY completed_at, seq LIMIT ?`,
    ),
    notCompletedPage: prepareRows<[string, number, number], ItemRow>(
      db,
      ITEM_FIELDS,
      'FROM items WHERE job_id = ? AND completed_at IS NULL AND seq > ? ORDER BY seq LIMIT ?',
    ),
    /** `reopenItems(job, from)`, by `from`. */
    reopen: {
      failed: db.prepare<[string]>(
        `UPDATE items SET state = 'pending', attempts = 0, error_json = NULL, status_code = NULL, completed_at = NULL
         WHERE job_id = ? AND ${stateGuard(['failed'], 'pending')}`,
      ),
      cancelled: db.prepare<[string]>(
        `UPDATE items SET state = 'pending', missing_reason = NULL
         WHERE job_id = ? AND ${stateGuard(['cancelled'], 'pending')} AND (missing_reason IS NULL OR missing_reason <> 'limit')`,
      ),
      // Re-asked as the engine re-asks (the `reask` move): the answer and check stay; the run rebuilds the request.
      invalid: db.prepare<[string]>(
        `UPDATE items SET state = 'pending', reasks = reasks + 1, completed_at = NULL
         WHERE job_id = ? AND ${stateGuard(['succeeded'], 'pending')} AND check_status IN ('invalid', 'truncated')`,
      ),
    } satisfies Record<ReopenFrom, Statement<[string]>>,
    cancelUnfinished: db.prepare<[string, string]>(
      `UPDATE items SET missing_reason = ?, state = 'cancelled' WHERE job_id = ? AND ${UNFINISHED}`,
    ),
  };
}
