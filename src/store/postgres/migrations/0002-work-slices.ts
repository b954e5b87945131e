/**
 * PostgreSQL schema version 2: work handed out to workers (docs/decisions/0031).
 * - `slices`: a running job's open items cut into ranges of seq; the worker holding one heartbeats it by the
 *   database's clock, and one whose heartbeat is stale goes back to the queue with a new `generation` (a claim names
 *   the generation it was handed, so a stale hand-out claims nothing).
 * - `sent_attempts`: the attempt ledger. A row is written before a request goes out; the slice's rows are deleted
 *   when it is done. A row without its `attempts` row is an attempt whose outcome was never committed: what a lost
 *   worker had in flight.
 * - `jobs.work_stop_json`: why a worker stopped a job's work (401/403, the budget, an endpoint gone), for the process
 *   that waits for the job's end.
 * `items.request` (version 1) is written from here on: each line's text, deflated, so a worker on any machine can
 * send it.
 */
export const migration0002 = `
CREATE TABLE slices (
  job_id text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  slice_no integer NOT NULL,
  first_seq integer NOT NULL,
  last_seq integer NOT NULL,
  state text NOT NULL,
  generation integer NOT NULL DEFAULT 0,
  holder text,
  heartbeat_at timestamptz,
  PRIMARY KEY (job_id, slice_no)
);
CREATE INDEX slices_open ON slices (state, heartbeat_at) WHERE state = 'open';
CREATE INDEX slices_holder ON slices (holder) WHERE holder IS NOT NULL;

CREATE TABLE sent_attempts (
  job_id text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  seq integer NOT NULL,
  attempt integer NOT NULL,
  holder text NOT NULL,
  sent_at bigint NOT NULL,
  PRIMARY KEY (job_id, seq, attempt)
);

ALTER TABLE jobs ADD COLUMN work_stop_json text;
`;
