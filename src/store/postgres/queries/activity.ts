/** What `status`, `monitor` and the report read of a job's activity (`ActivityReads`), each one short read beside the writers. */
import type pg from 'pg';
import { tallyJobCounts, type JobCounts } from '../../../core/job.ts';
import type { JobActivity, RecentFailure, ReviewStats } from '../../activity-reads.ts';

/** Items by state; in-flight items (batch mode) count as pending. */
export async function counts(db: pg.ClientBase, jobId: string): Promise<JobCounts> {
  const { rows } = await db.query<{ state: string; count: number }>(
    'SELECT state, COUNT(*) AS count FROM items WHERE job_id = $1 GROUP BY state',
    [jobId],
  );
  return tallyJobCounts(rows);
}

export async function activity(db: pg.ClientBase, jobId: string, sinceMs: number): Promise<JobActivity> {
  const { rows } = await db.query<{ count: number; last: number | null }>(
    `SELECT COUNT(*) FILTER (WHERE completed_at >= $1) AS count, MAX(completed_at) AS last
     FROM items WHERE job_id = $2 AND completed_at IS NOT NULL`,
    [sinceMs, jobId],
  );
  return { finishedSince: rows[0]?.count ?? 0, lastFinishedAt: rows[0]?.last ?? null };
}

export async function recentFailures(db: pg.ClientBase, jobId: string, limit: number): Promise<RecentFailure[]> {
  const { rows } = await db.query<{
    custom_id: string;
    attempt: number;
    outcome: string;
    status_code: number | null;
    started_at: number;
  }>(
    `SELECT i.custom_id, a.attempt, a.outcome, a.status_code, a.started_at
       FROM attempts a JOIN items i ON i.job_id = a.job_id AND i.seq = a.seq
      WHERE a.job_id = $1 AND a.outcome <> 'ok'
      ORDER BY a.id DESC LIMIT $2`,
    [jobId, limit],
  );
  return rows.map((row) => ({
    customId: row.custom_id,
    attempt: row.attempt,
    cause: row.outcome,
    statusCode: row.status_code,
    at: row.started_at,
  }));
}

/** One pass over the checks' statuses, and of the valid ones their re-asks; then the re-asks' attempts. */
export async function reviewStats(db: pg.ClientBase, jobId: string): Promise<ReviewStats> {
  const statuses = await db.query<{ status: string; reasks: number; count: number }>(
    `SELECT check_status AS status, reasks, COUNT(*) AS count FROM items
      WHERE job_id = $1 AND state = 'succeeded' AND check_status IS NOT NULL GROUP BY check_status, reasks`,
    [jobId],
  );
  const byStatus: Record<string, number> = {};
  const validAfterReasks: number[] = [];
  for (const row of statuses.rows) {
    byStatus[row.status] = (byStatus[row.status] ?? 0) + row.count;
    if (row.status !== 'valid' && row.status !== 'repaired') continue;
    while (validAfterReasks.length <= row.reasks) validAfterReasks.push(0);
    validAfterReasks[row.reasks] = (validAfterReasks[row.reasks] ?? 0) + row.count;
  }
  const { rows } = await db.query<{ attempts: number; input_tokens: number | null; output_tokens: number | null }>(
    `SELECT COUNT(*) AS attempts, SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens
       FROM attempts WHERE job_id = $1 AND reask > 0`,
    [jobId],
  );
  return {
    byStatus,
    validAfterReasks,
    reaskAttempts: rows[0]?.attempts ?? 0,
    reaskInputTokens: rows[0]?.input_tokens ?? 0,
    reaskOutputTokens: rows[0]?.output_tokens ?? 0,
  };
}
