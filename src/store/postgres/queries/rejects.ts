/** The rejects table: lines that are not valid requests, inserted a batch at a time and read back in line order. */
import type pg from 'pg';
import { cutRejectRaw, type Reject } from '../../../core/reject.ts';

export interface RejectRow {
  line: number;
  custom_id: string | null;
  reason: string;
  raw: string;
}

/** Inserts a batch's rejects in one statement (inside the caller's transaction). */
export async function insertRejects(db: pg.ClientBase, jobId: string, rejects: readonly Reject[]): Promise<void> {
  if (rejects.length === 0) return;
  await db.query({
    name: 'rejects-insert',
    text: `INSERT INTO rejects (job_id, line, custom_id, reason, raw)
       SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[])`,
    values: [
      jobId,
      rejects.map((reject) => reject.line),
      rejects.map((reject) => reject.custom_id ?? null),
      rejects.map((reject) => reject.reason),
      rejects.map((reject) => cutRejectRaw(reject.raw)),
    ],
  });
}

export async function rejectPage(db: pg.ClientBase, jobId: string, afterLine: number, limit: number) {
  const { rows } = await db.query<RejectRow>({
    name: 'rejects-page',
    text: 'SELECT line, custom_id, reason, raw FROM rejects WHERE job_id = $1 AND line > $2 ORDER BY line LIMIT $3',
    values: [jobId, afterLine, limit],
  });
  return rows;
}
