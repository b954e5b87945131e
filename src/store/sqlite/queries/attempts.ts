import type { Database } from 'better-sqlite3';
import type { Attempt } from '../../../core/attempt.ts';
import type { AttemptStats } from '../../store.ts';

/**
 * The attempts table: every attempt of an item recorded (`record`, inside the caller's transaction) and a job's
 * attempt figures read back (`stats`: totals, failures and retries by cause, latency percentiles).
 */
export function prepareAttemptQueries(db: Database) {
  const insert = db.prepare<
    [
      string,
      number,
      number,
      number,
      number,
      number | null,
      string,
      number | null,
      number | null,
      number | null,
      string | null,
    ]
  >(
    `INSERT INTO attempts (job_id, seq, attempt, started_at, latency_ms, status_code, outcome, input_tokens, output_tokens,
       reask, check_status)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const totals = db.prepare<
    [string],
    { attempts: number; input_tokens: number | null; output_tokens: number | null; ok: number }
  >(
    `SELECT COUNT(*) AS attempts, SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens,
       SUM(outcome = 'ok') AS ok FROM attempts WHERE job_id = ?`,
  );
  const failures = db.prepare<[string], { outcome: string; count: number }>(
    `SELECT outcome, COUNT(*) AS count FROM attempts WHERE job_id = ? AND outcome <> 'ok' GROUP BY outcome`,
  );
  const retries = db.prepare<[string], { outcome: string; count: number }>(
    `SELECT a.outcome, COUNT(*) AS count FROM attempts a WHERE a.job_id = ? AND a.outcome <> 'ok'
       AND EXISTS (SELECT 1 FROM attempts b WHERE b.job_id = a.job_id AND b.seq = a.seq AND b.attempt > a.attempt)
     GROUP BY a.outcome`,
  );
  // Both percentiles from one sort of the job's answered attempts (an OFFSET per percentile sorted them each time).
  const latenciesAt = db.prepare<[string, number, number], { rank: number; latency_ms: number }>(
    `SELECT rank, latency_ms FROM (
       SELECT ROW_NUMBER() OVER (ORDER BY latency_ms) - 1 AS rank, latency_ms FROM attempts
       WHERE job_id = ? AND outcome = 'ok'
     ) WHERE rank IN (?, ?)`,
  );

  function stats(jobId: string): AttemptStats {
    const total = totals.get(jobId) ?? { attempts: 0, input_tokens: 0, output_tokens: 0, ok: 0 };
    const failuresByCause: Record<string, number> = {};
    for (const row of failures.all(jobId)) failuresByCause[row.outcome] = row.count;
    const retriesByCause: Record<string, number> = {};
    for (const row of retries.all(jobId)) retriesByCause[row.outcome] = row.count;
    const ok = total.ok;
    const rankOf = (fraction: number): number => Math.min(ok - 1, Math.floor(ok * fraction));
    const ranked = ok === 0 ? [] : latenciesAt.all(jobId, rankOf(0.5), rankOf(0.95));
    const percentile = (fraction: number): number | null =>
      ranked.find((row) => row.rank === rankOf(fraction))?.latency_ms ?? null;
    return {
      attempts: total.attempts,
      failuresByCause,
      retriesByCause,
      inputTokens: total.input_tokens ?? 0,
      outputTokens: total.output_tokens ?? 0,
      latencyP50Ms: percentile(0.5),
      latencyP95Ms: percentile(0.95),
    };
  }

  /** Records one attempt (inside the caller's transaction). */
  function record(jobId: string, attempt: Attempt): void {
    insert.run(
      jobId,
      attempt.seq,
      attempt.attempt,
      attempt.startedAt,
      attempt.latencyMs,
      attempt.statusCode,
      attempt.outcome,
      attempt.inputTokens,
      attempt.outputTokens,
      attempt.reask ?? null,
      attempt.check ?? null,
    );
  }

  return { record, stats };
}
