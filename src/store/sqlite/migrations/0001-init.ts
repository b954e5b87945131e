/**
 * Schema version 1. Never edit a migration that has shipped: add the next number.
 *
 * items keeps where each line sits in the input (offset, length), not the request body:
 * the input file is the one copy of the requests. Response bodies are kept, since the
 * output files are materialised from the store.
 */
export const migration0001 = `
CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  input_path TEXT NOT NULL,
  input_size INTEGER NOT NULL,
  input_sample TEXT NOT NULL,
  config_json TEXT NOT NULL,
  out_dir TEXT NOT NULL,
  cursor_json TEXT NOT NULL,
  active_ms INTEGER NOT NULL DEFAULT 0,
  finished_at INTEGER,
  lease_pid INTEGER,
  lease_host TEXT,
  lease_token TEXT,
  lease_heartbeat_at INTEGER
);

CREATE TABLE items (
  job_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  custom_id TEXT NOT NULL,
  line_no INTEGER NOT NULL,
  byte_offset INTEGER NOT NULL,
  byte_length INTEGER NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  missing_reason TEXT,
  next_attempt_at INTEGER,
  status_code INTEGER,
  request_id TEXT,
  response_body TEXT,
  error_json TEXT,
  completed_at INTEGER
);
CREATE UNIQUE INDEX items_seq ON items (job_id, seq);
CREATE UNIQUE INDEX items_custom_id ON items (job_id, custom_id);
CREATE INDEX items_unfinished ON items (job_id, seq) WHERE state IN ('pending', 'retry_wait', 'in_flight');

CREATE TABLE attempts (
  job_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  latency_ms INTEGER NOT NULL,
  status_code INTEGER,
  outcome TEXT NOT NULL,
  input_tokens INTEGER,
  output_tokens INTEGER
);
CREATE INDEX attempts_job ON attempts (job_id, seq);

CREATE TABLE rejects (
  job_id TEXT NOT NULL,
  line INTEGER NOT NULL,
  custom_id TEXT,
  reason TEXT NOT NULL,
  raw TEXT NOT NULL
);
CREATE INDEX rejects_job ON rejects (job_id, line);
`;
