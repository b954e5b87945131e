/**
 * Item updates many at a time: each kind of write (an item succeeded, failed, waits, ...) is one `UPDATE ... FROM
 * unnest(...)` over the arrays of its items' values, guarded by the states the item lifecycle lets an item leave for
 * the new one (core/states.ts). `RETURNING seq` tells which items moved; the caller decides what an item that did
 * not move means (a forbidden move for `commitProgress`, an already merged line for a chunk).
 */
import type pg from 'pg';
import type { ItemState } from '../../../core/states.ts';
import { anyStateBecoming, stateGuard } from './items.ts';

/** One column of a write's arrays: its name in `u`, its array type, and its value for one update. */
type Column<U> = readonly [name: string, type: string, value: (update: U) => unknown];

/** A kind of item write: what it sets (from `u.<column>`), from which values, guarded how, to which state. */
export interface ItemWrite<U> {
  name: string;
  to: ItemState;
  set: string;
  columns: readonly Column<U>[];
  guard: string;
  /** Writes of one chunk also require `items.chunk_no` to be the chunk's (bound as the last parameter). */
  inChunk?: boolean;
}

/** The body columns: an answer as text, or as the bytes it came as (never both). */
const bodyColumns = <U extends { body: string | Uint8Array }>(): Column<U>[] => [
  ['body', 'text', (u) => (typeof u.body === 'string' ? u.body : null)],
  ['raw', 'bytea', (u) => (typeof u.body === 'string' ? null : u.body)],
];

interface Answered {
  seq: number;
  attempts: number;
  statusCode: number;
  requestId: string | null;
  body: string | Uint8Array;
}

export interface SucceedWrite extends Answered {
  completedAt: number;
  checkJson: string | null;
  checkStatus: string | null;
}
export interface ReaskWrite extends Answered {
  reasks: number;
  checkJson: string;
  checkStatus: string;
}
export interface FailWrite {
  seq: number;
  attempts: number;
  errorJson: string;
  statusCode: number | null;
  completedAt: number;
}
export interface WaitWrite {
  seq: number;
  attempts: number;
  errorJson: string;
}
export interface CancelWrite {
  seq: number;
  attempts: number;
  missingReason: string;
}

const succeedColumns: Column<SucceedWrite>[] = [
  ['attempts', 'int', (u) => u.attempts],
  ['status_code', 'int', (u) => u.statusCode],
  ['request_id', 'text', (u) => u.requestId],
  ...bodyColumns<SucceedWrite>(),
  ['completed_at', 'bigint', (u) => u.completedAt],
  ['check_json', 'text', (u) => u.checkJson],
  ['check_status', 'text', (u) => u.checkStatus],
];
const SUCCEED_SET = `state = 'succeeded', attempts = u.attempts, status_code = u.status_code, request_id = u.request_id,
  response_body = u.body, response_raw = u.raw, error_json = NULL, missing_reason = NULL, completed_at = u.completed_at,
  check_json = u.check_json, check_status = u.check_status`;

const reaskColumns: Column<ReaskWrite>[] = [
  ['attempts', 'int', (u) => u.attempts],
  ['reasks', 'int', (u) => u.reasks],
  ['status_code', 'int', (u) => u.statusCode],
  ['request_id', 'text', (u) => u.requestId],
  ...bodyColumns<ReaskWrite>(),
  ['check_json', 'text', (u) => u.checkJson],
  ['check_status', 'text', (u) => u.checkStatus],
];
const REASK_SET = `state = 'pending', attempts = u.attempts, reasks = u.reasks, status_code = u.status_code,
  request_id = u.request_id, response_body = u.body, response_raw = u.raw, check_json = u.check_json,
  check_status = u.check_status, error_json = NULL`;

const failColumns: Column<FailWrite>[] = [
  ['attempts', 'int', (u) => u.attempts],
  ['error_json', 'text', (u) => u.errorJson],
  ['status_code', 'int', (u) => u.statusCode],
  ['completed_at', 'bigint', (u) => u.completedAt],
];
const FAIL_SET = `state = 'failed', attempts = u.attempts, error_json = u.error_json, status_code = u.status_code,
  missing_reason = NULL, completed_at = u.completed_at`;

const waitColumns: Column<WaitWrite>[] = [
  ['attempts', 'int', (u) => u.attempts],
  ['error_json', 'text', (u) => u.errorJson],
];

const cancelColumns: Column<CancelWrite>[] = [
  ['attempts', 'int', (u) => u.attempts],
  ['missing_reason', 'text', (u) => u.missingReason],
];

/** The writes of `commitProgress` (realtime mode): an item may make each move from any state the lifecycle allows. */
export const PROGRESS_WRITES = {
  succeeded: {
    name: 'progress-succeed',
    to: 'succeeded',
    set: SUCCEED_SET,
    columns: succeedColumns,
    guard: anyStateBecoming('succeeded'),
  } satisfies ItemWrite<SucceedWrite>,
  // A re-ask (docs/decisions/0019): back to pending with its answer and check kept, from a realtime attempt.
  pending: {
    name: 'progress-reask',
    to: 'pending',
    set: `${REASK_SET}, missing_reason = NULL, completed_at = NULL`,
    columns: reaskColumns,
    guard: stateGuard(['pending', 'retry_wait'], 'pending'),
  } satisfies ItemWrite<ReaskWrite>,
  failed: {
    name: 'progress-fail',
    to: 'failed',
    set: FAIL_SET,
    columns: failColumns,
    guard: anyStateBecoming('failed'),
  } satisfies ItemWrite<FailWrite>,
  retry_wait: {
    name: 'progress-wait',
    to: 'retry_wait',
    set: `state = 'retry_wait', attempts = u.attempts, error_json = u.error_json`,
    columns: waitColumns,
    guard: anyStateBecoming('retry_wait'),
  } satisfies ItemWrite<WaitWrite>,
  cancelled: {
    name: 'progress-cancel',
    to: 'cancelled',
    set: `state = 'cancelled', attempts = u.attempts, missing_reason = u.missing_reason`,
    columns: cancelColumns,
    guard: anyStateBecoming('cancelled'),
  } satisfies ItemWrite<CancelWrite>,
};

const IN_FLIGHT = (to: ItemState): string => stateGuard(['in_flight'], to);

/**
 * The writes of a chunk's results (batch mode): only items still `in_flight` in that chunk move, so merging the same
 * result lines twice changes nothing the second time.
 */
export const CHUNK_WRITES = {
  succeeded: {
    name: 'chunk-succeed',
    to: 'succeeded',
    set: SUCCEED_SET,
    columns: succeedColumns,
    guard: IN_FLIGHT('succeeded'),
    inChunk: true,
  } satisfies ItemWrite<SucceedWrite>,
  // A re-ask (docs/decisions/0019): pending again for a chunk of its wave, its answer and check kept.
  reask: {
    name: 'chunk-reask',
    to: 'pending',
    set: `${REASK_SET}, chunk_no = NULL`,
    columns: reaskColumns,
    guard: IN_FLIGHT('pending'),
    inChunk: true,
  } satisfies ItemWrite<ReaskWrite>,
  failed: {
    name: 'chunk-fail',
    to: 'failed',
    set: FAIL_SET,
    columns: failColumns,
    guard: IN_FLIGHT('failed'),
    inChunk: true,
  } satisfies ItemWrite<FailWrite>,
  pending: {
    name: 'chunk-resubmit',
    to: 'pending',
    set: `state = 'pending', chunk_no = NULL, attempts = u.attempts, error_json = u.error_json`,
    columns: waitColumns,
    guard: IN_FLIGHT('pending'),
    inChunk: true,
  } satisfies ItemWrite<WaitWrite>,
  cancelled: {
    name: 'chunk-cancel',
    to: 'cancelled',
    set: `state = 'cancelled', missing_reason = 'cancelled'`,
    columns: [] as Column<{ seq: number }>[],
    guard: IN_FLIGHT('cancelled'),
    inChunk: true,
  } satisfies ItemWrite<{ seq: number }>,
};

/** Applies one kind of write to `updates` (items of one job) in one statement; returns the seqs that moved. */
export async function applyItemWrite<U extends { seq: number }>(
  db: pg.ClientBase,
  write: ItemWrite<U>,
  jobId: string,
  updates: readonly U[],
  chunkNo?: number,
): Promise<number[]> {
  if (updates.length === 0) return [];
  // In seq order: two transactions that move overlapping items then lock them in one order, never deadlocking.
  const sorted = [...updates].sort((a, b) => a.seq - b.seq);
  const columns: Column<U>[] = [['seq', 'int', (u) => u.seq], ...write.columns];
  const arrays = columns.map(([, , value]) => sorted.map((update) => value(update)));
  const unnest = columns.map(([, type], index) => `$${String(index + 2)}::${type}[]`).join(', ');
  const names = columns.map(([name]) => name).join(', ');
  const chunkParam = `$${String(columns.length + 2)}`;
  const { rows } = await db.query<{ seq: number }>({
    name: write.name,
    text: `UPDATE items SET ${write.set}
      FROM unnest(${unnest}) AS u(${names})
      WHERE items.job_id = $1 AND items.seq = u.seq AND ${write.guard}${write.inChunk === true ? ` AND items.chunk_no = ${chunkParam}` : ''}
      RETURNING items.seq`,
    values: [jobId, ...arrays, ...(write.inChunk === true ? [chunkNo] : [])],
  });
  return rows.map((row) => row.seq);
}

/**
 * Splits updates into rounds in which no item appears twice, keeping each item's updates in their order: the writes
 * of one round run as multi-row statements, and an item updated twice in one call ends as its last update says.
 */
export function rounds<U extends { seq: number }>(updates: readonly U[]): U[][] {
  const result: U[][] = [];
  const seen: Set<number>[] = [];
  for (const update of updates) {
    let index = 0;
    // An item's next update goes in the round after the one that holds its latest update.
    for (let i = seen.length - 1; i >= 0; i--) {
      if (seen[i]?.has(update.seq) === true) {
        index = i + 1;
        break;
      }
    }
    if (index === result.length) {
      result.push([]);
      seen.push(new Set());
    }
    result[index]?.push(update);
    seen[index]?.add(update.seq);
  }
  return result;
}
