/**
 * Schema version 2: batch mode. A chunk row per remote batch; each item points at the chunk
 * it is in while that chunk is open (`chunk_no`), and a job can carry a cancel request that
 * whoever runs it acts on.
 */
export const migration0002 = `
CREATE TABLE chunks (
  job_id TEXT NOT NULL,
  chunk_no INTEGER NOT NULL,
  state TEXT NOT NULL,
  item_count INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  tokens INTEGER NOT NULL,
  url TEXT NOT NULL,
  model TEXT,
  file_id TEXT,
  batch_id TEXT,
  raw_status TEXT,
  counts_json TEXT,
  end_kind TEXT,
  errors_json TEXT,
  result_refs_json TEXT,
  created_at INTEGER NOT NULL,
  submit_started_at INTEGER,
  submitted_at INTEGER,
  ended_at INTEGER,
  merged_at INTEGER,
  PRIMARY KEY (job_id, chunk_no)
);

ALTER TABLE items ADD COLUMN chunk_no INTEGER;
CREATE INDEX items_chunk ON items (job_id, chunk_no) WHERE chunk_no IS NOT NULL;

ALTER TABLE jobs ADD COLUMN cancel_requested_at INTEGER;
`;
