/**
 * PostgreSQL schema version 4: files a job's run needs besides its items (`JobFileStore`, docs/decisions/0035), such
 * as a data job's prompt snapshot and manifest rows, for workers that cannot read the submitter's job folder. A file
 * is kept in parts of at most `JOB_FILE_PART_BYTES`, so no one value comes near PostgreSQL's 1 GB limit and no one
 * statement carries a whole large file. Never edit a migration that has shipped.
 */
export const migration0004 = `
CREATE TABLE job_files (
  job_id text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  name text NOT NULL,
  part integer NOT NULL,
  body bytea NOT NULL,
  PRIMARY KEY (job_id, name, part)
);
`;
