/**
 * PostgreSQL schema version 1: the SQLite store's schema as of its migration 0010, in one step (no PostgreSQL
 * database existed before it). Never edit a migration that has shipped: add the next number.
 *
 * Same tables, columns and meaning as src/store/sqlite/migrations/, with these differences (docs/decisions/0030):
 * - times, byte offsets, line hashes and token counts are `bigint` (milliseconds, bytes); `seq` and counters `integer`;
 * - JSON stays `text`, as SQLite keeps it: configs, cursors and checks come back with the exact text written (jsonb
 *   would reorder an answer's keys in `check_json`'s value);
 * - an answer that came as bytes is `items.response_raw` (`bytea`) instead of SQLite's `response_parts` rows: the
 *   driver copies a bound value once, and PostgreSQL stores a large value out of line (TOAST) by itself;
 * - `items.request` is a nullable `bytea` kept for remote workers, which will read request bodies from the store;
 *   nothing writes it yet;
 * - `attempts.id` orders attempts as they were recorded (SQLite's rowid).
 * The scheduler's tables (SQLite 0003) are not here: the scheduler serves one workspace and stays on SQLite.
 */
export const migration0001 = `
CREATE TABLE jobs (
  id text PRIMARY KEY,
  state text NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  input_path text NOT NULL,
  input_size bigint NOT NULL,
  input_sample text NOT NULL,
  input_mtime_ms double precision,
  input_sha256 text,
  config_json text NOT NULL,
  data_json text,
  out_dir text NOT NULL,
  cursor_json text NOT NULL,
  active_ms bigint NOT NULL DEFAULT 0,
  finished_at bigint,
  cancel_requested_at bigint,
  lease_pid integer,
  lease_host text,
  lease_token text,
  lease_heartbeat_at bigint
);
CREATE INDEX jobs_created ON jobs (created_at, id);

CREATE TABLE items (
  job_id text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  seq integer NOT NULL,
  custom_id text NOT NULL,
  line_no integer NOT NULL,
  byte_offset bigint NOT NULL,
  byte_length integer NOT NULL,
  line_hash bigint,
  group_key text,
  state text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  reasks integer NOT NULL DEFAULT 0,
  missing_reason text,
  chunk_no integer,
  status_code integer,
  request_id text,
  request bytea,
  response_body text,
  response_raw bytea,
  error_json text,
  check_json text,
  check_status text,
  completed_at bigint,
  PRIMARY KEY (job_id, seq)
);
CREATE UNIQUE INDEX items_custom_id ON items (job_id, custom_id);
CREATE INDEX items_unfinished ON items (job_id, seq) WHERE state IN ('pending', 'retry_wait', 'in_flight');
CREATE INDEX items_settled ON items (job_id, seq) WHERE state IN ('succeeded', 'failed');
CREATE INDEX items_completed ON items (job_id, completed_at, seq) WHERE completed_at IS NOT NULL;
CREATE INDEX items_chunk ON items (job_id, chunk_no, seq) WHERE chunk_no IS NOT NULL;
CREATE INDEX items_job_group_state ON items (job_id, group_key, state);

CREATE TABLE attempts (
  id bigserial PRIMARY KEY,
  job_id text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  seq integer NOT NULL,
  attempt integer NOT NULL,
  started_at bigint NOT NULL,
  latency_ms bigint NOT NULL,
  status_code integer,
  outcome text NOT NULL,
  input_tokens bigint,
  output_tokens bigint,
  reask integer,
  check_status text
);
CREATE INDEX attempts_job ON attempts (job_id, seq);

CREATE TABLE rejects (
  job_id text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  line integer NOT NULL,
  custom_id text,
  reason text NOT NULL,
  raw text NOT NULL
);
CREATE INDEX rejects_job ON rejects (job_id, line);

CREATE TABLE chunks (
  job_id text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  chunk_no integer NOT NULL,
  state text NOT NULL,
  item_count integer NOT NULL,
  bytes bigint NOT NULL,
  tokens bigint NOT NULL,
  url text NOT NULL,
  model text,
  file_id text,
  batch_id text,
  raw_status text,
  counts_json text,
  end_kind text,
  errors_json text,
  result_refs_json text,
  created_at bigint NOT NULL,
  submit_started_at bigint,
  submitted_at bigint,
  ended_at bigint,
  merged_at bigint,
  PRIMARY KEY (job_id, chunk_no)
);

CREATE TABLE sink_batches (
  job_id text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  sink text NOT NULL,
  batch_no integer NOT NULL,
  from_row bigint NOT NULL,
  to_row bigint NOT NULL,
  rows bigint NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'done')),
  created_at bigint NOT NULL,
  done_at bigint,
  PRIMARY KEY (job_id, sink, batch_no)
);
`;
