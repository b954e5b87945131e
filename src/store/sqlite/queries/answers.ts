/**
 * What a data job reads and rewrites of its answers: `ItemStore.answersFor` (join-back, one indexed read per page
 * of custom_ids) and `ItemStore.setItemChecks` (`validate JOB`, checks of answered items replaced in one transaction).
 */
import type { Database } from 'better-sqlite3';
import { answerModel, type ItemCheck, type ItemError, type TokenUsage } from '../../../core/item.ts';
import type { ItemState } from '../../../core/states.ts';
import type { ItemAnswer, ItemCheckUpdate } from '../../item-store.ts';
import { RESPONSE_PART_BYTES } from './response-parts.ts';

interface AnswerRow {
  seq: number;
  custom_id: string;
  state: string;
  missing_reason: string | null;
  reasks: number;
  check_json: string | null;
  error_json: string | null;
  /** The top-level `model` of an answer kept as text, read by SQLite (the body itself is not carried to JS). */
  body_model: unknown;
  response_bytes: number | null;
  attempts: number;
  input_tokens: number | null;
  output_tokens: number | null;
  reask_input_tokens: number | null;
  reask_output_tokens: number | null;
}

/** Tokens summed in SQL: SUM over no counted value is NULL, which is how "no attempt has tokens" shows. */
function toUsage(input: number | null, output: number | null): TokenUsage | null {
  return input === null && output === null ? null : { inputTokens: input ?? 0, outputTokens: output ?? 0 };
}

/** The answer columns of one item and its attempts' sums, as ANSWERS_QUERY selects them. */
const ANSWER_COLUMNS = `i.seq, i.custom_id, i.state, i.missing_reason, i.reasks, i.check_json, i.error_json, i.response_bytes,
   CASE WHEN json_valid(i.response_body) THEN json_extract(i.response_body, '$.model') END AS body_model,
   COUNT(a.seq) AS attempts,
   SUM(a.input_tokens) AS input_tokens, SUM(a.output_tokens) AS output_tokens,
   SUM(CASE WHEN a.reask >= 1 THEN a.input_tokens END) AS reask_input_tokens,
   SUM(CASE WHEN a.reask >= 1 THEN a.output_tokens END) AS reask_output_tokens`;

/**
 * The answers of a page of custom_ids, bound as (the ids as one JSON array, the job id). One parameter for all the
 * ids (json_each), not one each: no variable limit to chunk around, one statement prepared once. The CROSS JOIN keeps
 * SQLite to this order: each distinct id looked up in items_custom_id (job_id, custom_id), then its attempts through
 * attempts_job (job_id, seq). Left to choose, SQLite walked all of the job's items by seq to spare the GROUP BY a
 * sort: every page would have cost a read of the whole job.
 */
export const ANSWERS_QUERY = `SELECT ${ANSWER_COLUMNS}
 FROM (SELECT DISTINCT value FROM json_each(?)) AS wanted
   CROSS JOIN items AS i ON i.job_id = ? AND i.custom_id = wanted.value
   LEFT JOIN attempts AS a ON a.job_id = i.job_id AND a.seq = i.seq
 GROUP BY i.seq`;

/**
 * The answers of the items from seq ?2 (inclusive) to ?3 (exclusive), in seq order: one walk of items_seq and of
 * attempts_job side by side, no lookup per id. A page of custom_ids asked in source order is nearly always such a
 * run of seqs (prepare writes a row's requests together, in row order), so most pages are read this way.
 */
const ANSWERS_IN_SEQ_RANGE = `SELECT ${ANSWER_COLUMNS}
 FROM items AS i LEFT JOIN attempts AS a ON a.job_id = i.job_id AND a.seq = i.seq
 WHERE i.job_id = ? AND i.seq >= ? AND i.seq < ?
 GROUP BY i.seq ORDER BY i.seq`;

/** @internal Left out of the .d.ts (stripInternal): its inferred type names better-sqlite3's unexported namespace. */
export function prepareAnswerQueries(db: Database) {
  const answers = db.prepare<[string, string], AnswerRow>(ANSWERS_QUERY);
  const answersInSeqRange = db.prepare<[string, number, number], AnswerRow>(ANSWERS_IN_SEQ_RANGE);
  const seqOf = db.prepare<[string, string], { seq: number }>(
    'SELECT seq FROM items WHERE job_id = ? AND custom_id = ?',
  );
  // An answer kept in parts (migration 0004) is read by its first part only: its model is named in its head.
  const firstPart = db.prepare<[string, number], { bytes: Buffer }>(
    'SELECT bytes FROM response_parts WHERE job_id = ? AND seq = ? AND part = 0',
  );
  const setCheck = db.prepare<[string, string, string, number]>(
    `UPDATE items SET check_json = ?, check_status = ? WHERE job_id = ? AND seq = ? AND state = 'succeeded'`,
  );
  const stateOf = db.prepare<[string, number], { state: string }>(
    'SELECT state FROM items WHERE job_id = ? AND seq = ?',
  );

  const modelOf = (jobId: string, row: AnswerRow): string | null => {
    if (row.response_bytes === null) {
      return typeof row.body_model === 'string' && row.body_model !== '' ? row.body_model : null;
    }
    const head = firstPart.get(jobId, row.seq)?.bytes;
    if (head === undefined) return null;
    // A whole answer in its first part is parsed as one (as a text answer is); a longer one is searched in its head.
    return answerModel(row.response_bytes <= RESPONSE_PART_BYTES ? head.toString('utf8', 0, row.response_bytes) : head);
  };

  return {
    answersFor(jobId: string, customIds: readonly string[]): Map<string, ItemAnswer> {
      const found = new Map<string, ItemAnswer>();
      if (customIds.length === 0) return found;
      const wanted = new Set(customIds);
      const add = (row: AnswerRow): void => {
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
          model: modelOf(jobId, row),
          usage: toUsage(row.input_tokens, row.output_tokens),
          reaskUsage: toUsage(row.reask_input_tokens, row.reask_output_tokens),
        });
      };
      // The run of seqs the first id starts, as long as the page; then whatever it did not hold, looked up by id.
      const first = seqOf.get(jobId, customIds[0] as string)?.seq;
      if (first !== undefined) {
        for (const row of answersInSeqRange.iterate(jobId, first, first + wanted.size)) {
          if (wanted.has(row.custom_id)) add(row);
        }
      }
      if (found.size < wanted.size) {
        const rest = found.size === 0 ? [...wanted] : [...wanted].filter((id) => !found.has(id));
        for (const row of answers.iterate(JSON.stringify(rest), jobId)) add(row);
      }
      return found;
    },

    /** Inside the caller's transaction: a check of an item without an answer throws, rolling the whole call back. */
    setItemChecks(jobId: string, checks: readonly ItemCheckUpdate[]): void {
      for (const { seq, check } of checks) {
        if (setCheck.run(JSON.stringify(check), check.status, jobId, seq).changes > 0) continue;
        const row = stateOf.get(jobId, seq);
        throw new Error(
          row === undefined
            ? `no item ${String(seq)} in job ${jobId}`
            : `item ${String(seq)} of job ${jobId} is ${row.state}: only an answered (succeeded) item has a check to replace`,
        );
      }
    },
  };
}
