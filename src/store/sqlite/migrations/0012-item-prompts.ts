/**
 * Schema version 12: `items.prompt`, the prompt a data job's item answers (docs/decisions/0038), written at ingest;
 * NULL for jobs that are not data jobs and for items ingested before. The partial index holds only data jobs' items,
 * so a plain job's ingest pays nothing for it; it serves the per-prompt counts (`promptCounts`) without reading rows.
 */
export const migration0012 = `
ALTER TABLE items ADD COLUMN prompt TEXT;
CREATE INDEX IF NOT EXISTS items_job_prompt ON items (job_id, prompt, state, check_status) WHERE prompt IS NOT NULL;
`;
