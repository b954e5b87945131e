/**
 * What a data job reads and rewrites of its answers: `ItemStore.answersFor` (join-back, one indexed read per call)
 * and `ItemStore.setItemChecks` (`validate JOB`, checks of answered items replaced in one statement).
 */
import type pg from 'pg';
import { answerModel, type ItemCheck, type ItemError, type TokenUsage } from '../../../core/item.ts';
import type { ItemState } from '../../../core/states.ts';
import type { ItemAnswer, ItemCheckUpdate } from '../../item-store.ts';

interface AnswerRow {
  seq: number;
  custom_id: string;
  state: string;
  missing_reason: string | null;
  reasks: number;
  check_json: string | null;
  error_json: string | null;
  response_body: string | null;
  /** The head of an answer kept as bytes: its model is named there. */
  raw_head: Buffer | null;
  raw_length: number | null;
  attempts: number;
  input_tokens: number | null;
  output_tokens: number | null;
  reask_input_tokens: number | null;
  reask_output_tokens: number | null;
}

/** Bytes of a bytes answer read to find its model (as the SQLite store reads its first 1 MiB part). */
const RAW_HEAD_BYTES = 1 << 20;

/** Tokens summed in SQL: SUM over no counted value is NULL, which is how "no attempt has tokens" shows. */
function toUsage(input: number | null, output: number | null): TokenUsage | null {
  return input === null && output === null ? null : { inputTokens: input ?? 0, outputTokens: output ?? 0 };
}

/**
 * The answers of a set of custom_ids: each distinct id looked up in items_custom_id (job_id, custom_id), its attempts
 * summed through attempts_job (job_id, seq). The ids are one array parameter, however many.
 */
const ANSWERS_QUERY = `SELECT i.seq, i.custom_id, i.state, i.missing_reason, i.reasks, i.check_json, i.error_json,
   i.response_body, substring(i.response_raw FROM 1 FOR ${String(RAW_HEAD_BYTES)}) AS raw_head,
   octet_length(i.response_raw) AS raw_length,
   COUNT(a.seq) AS attempts, SUM(a.input_tokens) AS input_tokens, SUM(a.output_tokens) AS output_tokens,
   SUM(CASE WHEN a.reask >= 1 THEN a.input_tokens END) AS reask_input_tokens,
   SUM(CASE WHEN a.reask >= 1 THEN a.output_tokens END) AS reask_output_tokens
 FROM items AS i LEFT JOIN attempts AS a ON a.job_id = i.job_id AND a.seq = i.seq
 WHERE i.job_id = $1 AND i.custom_id = ANY($2::text[])
 GROUP BY i.job_id, i.seq`;

function modelOf(row: AnswerRow): string | null {
  if (row.raw_head === null) return row.response_body === null ? null : answerModel(row.response_body);
  // A whole answer in its head is parsed as one (as a text answer is); a longer one is searched in its head.
  return answerModel((row.raw_length ?? 0) <= RAW_HEAD_BYTES ? row.raw_head.toString('utf8') : row.raw_head);
}

export async function answersFor(
  db: pg.ClientBase,
  jobId: string,
  customIds: readonly string[],
): Promise<Map<string, ItemAnswer>> {
  const found = new Map<string, ItemAnswer>();
  if (customIds.length === 0) return found;
  const { rows } = await db.query<AnswerRow>({
    name: 'answers-for',
    text: ANSWERS_QUERY,
    values: [jobId, [...new Set(customIds)]],
  });
  for (const row of rows) {
    const state = row.state as ItemState;
    found.set(row.custom_id, {
      customId: row.custom_id,
      seq: row.seq,
      state,
      check: row.check_json === null ? null : (JSON.parse(row.check_json) as ItemCheck),
      error: state === 'failed' && row.error_json !== null ? (JSON.parse(row.error_json) as ItemError) : null,
      attempts: row.attempts,
      reasks: row.reasks,
      ...(state === 'cancelled' && row.missing_reason === 'target_reached' ? { targetReached: true } : {}),
      model: modelOf(row),
      usage: toUsage(row.input_tokens, row.output_tokens),
      reaskUsage: toUsage(row.reask_input_tokens, row.reask_output_tokens),
    });
  }
  return found;
}

/** Inside the caller's transaction: a check of an item without an answer throws, rolling the whole call back. */
export async function setItemChecks(
  db: pg.ClientBase,
  jobId: string,
  checks: readonly ItemCheckUpdate[],
): Promise<void> {
  if (checks.length === 0) return;
  const { rows } = await db.query<{ seq: number }>(
    `UPDATE items SET check_json = u.check_json, check_status = u.check_status
     FROM unnest($2::int[], $3::text[], $4::text[]) AS u(seq, check_json, check_status)
     WHERE items.job_id = $1 AND items.seq = u.seq AND items.state = 'succeeded' RETURNING items.seq`,
    [
      jobId,
      checks.map((check) => check.seq),
      checks.map((check) => JSON.stringify(check.check)),
      checks.map((check) => check.check.status),
    ],
  );
  const moved = new Set(rows.map((row) => row.seq));
  const first = checks.find((check) => !moved.has(check.seq));
  if (first === undefined) return;
  const state = await db.query<{ state: string }>('SELECT state FROM items WHERE job_id = $1 AND seq = $2', [
    jobId,
    first.seq,
  ]);
  const row = state.rows[0];
  throw new Error(
    row === undefined
      ? `no item ${String(first.seq)} in job ${jobId}`
      : `item ${String(first.seq)} of job ${jobId} is ${row.state}: only an answered (succeeded) item has a check to replace`,
  );
}
