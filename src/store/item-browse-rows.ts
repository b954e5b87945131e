/**
 * The rows both stores' browsing queries return (docs/decisions/0038), and the items and attempts made of them: the
 * SQL differs by dialect, the columns and their meaning do not. `fold-history.ts` does the same for the history.
 */
import type { ItemState } from '../core/states.ts';
import type { AttemptRecord, ItemSummary } from './item-browse-store.ts';
import type { FilterDialect } from './item-filter-clause.ts';

export interface SummaryRow {
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
  prompt: string | null;
  completed_at: number | null;
}

export interface AttemptRow {
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

/** The columns of a `SummaryRow`, the error's code read from its JSON as `dialect` reads it. */
export function summaryColumns(dialect: FilterDialect): string {
  return `seq, custom_id, line_no, state, attempts, reasks, status_code, ${dialect.errorCode} AS error_code,
    check_status, group_key, prompt, completed_at`;
}

/** The columns of an `AttemptRow`. */
export const ATTEMPT_COLUMNS =
  'attempt, started_at, latency_ms, status_code, outcome, input_tokens, output_tokens, reask, check_status';

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
    prompt: row.prompt,
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
