/**
 * The attempts table: attempts recorded many at a time (`recordAttempts`, one statement inside the caller's
 * transaction) and a job's attempt figures read back (`attemptStats`).
 */
import type pg from 'pg';
import type { Attempt } from '../../../core/attempt.ts';
import type { AttemptStats } from '../../activity-reads.ts';

/** Records attempts of one or more jobs in one INSERT (arrays unnested side by side, in order). */
export async function recordAttempts(
  db: pg.ClientBase,
  attempts: readonly { jobId: string; attempt: Attempt }[],
): Promise<void> {
  if (attempts.length === 0) return;
  const column = <T>(pick: (attempt: Attempt) => T): T[] => attempts.map(({ attempt }) => pick(attempt));
  await db.query({
    name: 'attempts-insert',
    text: `INSERT INTO attempts (job_id, seq, attempt, started_at, latency_ms, status_code, outcome, input_tokens,
         output_tokens, reask, check_status)
       SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::bigint[], $5::bigint[], $6::int[], $7::text[],
         $8::bigint[], $9::bigint[], $10::int[], $11::text[])`,
    values: [
      attempts.map(({ jobId }) => jobId),
      column((a) => a.seq),
      column((a) => a.attempt),
      column((a) => a.startedAt),
      column((a) => a.latencyMs),
      column((a) => a.statusCode),
      column((a) => a.outcome),
      column((a) => a.inputTokens),
      column((a) => a.outputTokens),
      column((a) => a.reask ?? null),
      column((a) => a.check ?? null),
    ],
  });
}

export async function attemptStats(db: pg.ClientBase, jobId: string): Promise<AttemptStats> {
  const totals = await db.query<{
    attempts: number;
    input_tokens: number | null;
    output_tokens: number | null;
    ok: number;
  }>(
    `SELECT COUNT(*) AS attempts, SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens,
       COUNT(*) FILTER (WHERE outcome = 'ok') AS ok FROM attempts WHERE job_id = $1`,
    [jobId],
  );
  const byCause = await db.query<{ outcome: string; failures: number; retries: number }>(
    `SELECT a.outcome, COUNT(*) AS failures,
       COUNT(*) FILTER (WHERE EXISTS (
         SELECT 1 FROM attempts b WHERE b.job_id = a.job_id AND b.seq = a.seq AND b.attempt > a.attempt)) AS retries
     FROM attempts a WHERE a.job_id = $1 AND a.outcome <> 'ok' GROUP BY a.outcome`,
    [jobId],
  );
  const total = totals.rows[0] ?? { attempts: 0, input_tokens: null, output_tokens: null, ok: 0 };
  const failuresByCause: Record<string, number> = {};
  const retriesByCause: Record<string, number> = {};
  for (const row of byCause.rows) {
    failuresByCause[row.outcome] = row.failures;
    if (row.retries > 0) retriesByCause[row.outcome] = row.retries;
  }
  const percentile = async (fraction: number): Promise<number | null> => {
    if (total.ok === 0) return null;
    const { rows } = await db.query<{ latency_ms: number }>(
      `SELECT latency_ms FROM attempts WHERE job_id = $1 AND outcome = 'ok' ORDER BY latency_ms LIMIT 1 OFFSET $2`,
      [jobId, Math.min(total.ok - 1, Math.floor(total.ok * fraction))],
    );
    return rows[0]?.latency_ms ?? null;
  };
  return {
    attempts: total.attempts,
    failuresByCause,
    retriesByCause,
    inputTokens: total.input_tokens ?? 0,
    outputTokens: total.output_tokens ?? 0,
    latencyP50Ms: await percentile(0.5),
    latencyP95Ms: await percentile(0.95),
  };
}
