/**
 * PostgreSQL schema version 5: batch-mode chunks handed out as slices (docs/decisions/0034). A slice with a
 * `chunk_no` is one chunk of a batch-mode job: its holder runs that chunk's steps (upload, submit, poll, merge), and
 * every write it makes to the chunk is fenced by the slice's lease. Its `first_seq`/`last_seq` span the chunk's items,
 * for `status` only. `IF NOT EXISTS`: numbered 5 beside a version 4 made on another branch at the same time, the
 * column is added once whichever order the two land in.
 */
export const migration0005 = `
ALTER TABLE slices ADD COLUMN IF NOT EXISTS chunk_no integer;
CREATE INDEX IF NOT EXISTS slices_chunk ON slices (job_id, chunk_no) WHERE chunk_no IS NOT NULL;
`;
