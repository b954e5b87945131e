import type { Database } from 'better-sqlite3';

export interface RejectRow {
  line: number;
  custom_id: string | null;
  reason: string;
  raw: string;
}

/**
 * The rejects table: a line that is not a valid request recorded with its reason (`insert`), and a job's rejects
 * read back in line order, one keyset page at a time (`page`).
 *
 * @internal Left out of the .d.ts (stripInternal): its inferred type names better-sqlite3's unexported namespace. */
export function prepareRejectQueries(db: Database) {
  return {
    insert: db.prepare<[string, number, string | null, string, string]>(
      'INSERT INTO rejects (job_id, line, custom_id, reason, raw) VALUES (?, ?, ?, ?, ?)',
    ),
    page: db.prepare<[string, number, number], RejectRow>(
      'SELECT line, custom_id, reason, raw FROM rejects WHERE job_id = ? AND line > ? ORDER BY line LIMIT ?',
    ),
  };
}
