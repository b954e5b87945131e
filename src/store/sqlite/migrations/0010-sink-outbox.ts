/**
 * Schema version 10: the sink outbox (issue 13, decision 0026). One row per batch a sink was sent or is being sent:
 * the range of data rows it covers, how many rows it wrote, and whether the sink confirmed it (`done`).
 */
export const migration0010 = `
CREATE TABLE sink_batches (
  job_id TEXT NOT NULL,
  sink TEXT NOT NULL,
  batch_no INTEGER NOT NULL,
  from_row INTEGER NOT NULL,
  to_row INTEGER NOT NULL,
  rows INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'done')),
  created_at INTEGER NOT NULL,
  done_at INTEGER,
  PRIMARY KEY (job_id, sink, batch_no)
);
`;
