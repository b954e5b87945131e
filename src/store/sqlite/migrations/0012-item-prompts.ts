/**
 * Schema version 12: `items.prompt`, the prompt a data job's item answers (docs/decisions/0039), written at ingest;
 * NULL for jobs that are not data jobs and for items ingested before.
 *
 * `items_job_tally` replaces `items_job_group_state` (its first three columns, so every query that used it still
 * can). It holds every column the live counts group by or sum (`counts`, `answerCounts`: group, state, check,
 * missing reason, prompt, and `completed_at` for the last minute's figures), so they are read from the index alone, in
 * its order, without a temporary tree: a data job of 1,000,000 items was counted in about 1 s from its rows. A state
 * change rewrote the old index's entry already; the wider entry costs bytes, not another index to keep.
 */
export const migration0012 = `
ALTER TABLE items ADD COLUMN prompt TEXT;
CREATE INDEX IF NOT EXISTS items_job_tally
  ON items (job_id, group_key, state, check_status, missing_reason, prompt, completed_at);
DROP INDEX IF EXISTS items_job_group_state;
`;
