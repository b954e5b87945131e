/**
 * PostgreSQL schema version 6: `items.prompt`, the prompt a data job's item answers (docs/decisions/0038), as SQLite's
 * version 12 has it; the partial index serves the per-prompt counts and holds only data jobs' items.
 */
export const migration0006 = `
ALTER TABLE items ADD COLUMN IF NOT EXISTS prompt text;
CREATE INDEX IF NOT EXISTS items_job_prompt ON items (job_id, prompt, state, check_status) WHERE prompt IS NOT NULL;
`;
