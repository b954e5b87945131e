/**
 * Schema version 9: `items.group_key`, a data job's row group (`data.group_by`, docs/decisions/0024), written at
 * ingest from the prepare manifest; NULL for jobs without groups and for items ingested before. The index serves the
 * per-group counts (`status`, the report: items per group by state and check) and pending items per group.
 */
export const migration0009 = `
ALTER TABLE items ADD COLUMN group_key TEXT;
CREATE INDEX IF NOT EXISTS items_job_group_state ON items (job_id, group_key, state);
`;
