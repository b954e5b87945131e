/**
 * Schema version 4: large answers kept in parts.
 *
 * SQLite builds a whole row in memory to write it, and better-sqlite3 copies a bound value
 * first: a 100 MB answer in `items.response_body` cost two extra 100 MB copies on the way in and
 * two on the way out. An answer that comes as bytes (see `ProviderResponse.body`) is stored as
 * `response_parts` rows of at most 1 MiB each instead; `items.response_bytes` then holds its
 * length and `response_body` stays NULL. Answers that come as text keep `response_body`.
 */
export const migration0004 = `
ALTER TABLE items ADD COLUMN response_bytes INTEGER;

CREATE TABLE response_parts (
  job_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  part INTEGER NOT NULL,
  bytes BLOB NOT NULL,
  PRIMARY KEY (job_id, seq, part)
);
`;
