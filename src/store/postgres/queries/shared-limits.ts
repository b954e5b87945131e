/**
 * Limits held across the workers of a job (`SharedLimitsStore`, docs/decisions/0032): token buckets, the pause of a
 * burst of overload answers, the budget. Each call is one statement, so no lock is held beyond it; every time is the
 * database's `clock_timestamp()` (read after the row's lock is taken), never a worker's.
 */
import type pg from 'pg';
import { jobNotFound } from '../../require-job.ts';
import type { BudgetDraw, BudgetState, SharedBucket, TokenGrant, TokenTake } from '../../shared-limits-store.ts';

/** Seconds since `column` by the database's clock, never negative (two workers' takes may commit out of order). */
const secondsSince = (column: string): string => `GREATEST(0, EXTRACT(EPOCH FROM clock_timestamp() - ${column}))`;

/** The bucket's level now: refilled at the take's rate since it was last written, up to the take's capacity. */
const REFILLED = `LEAST(excluded.capacity, b.level + excluded.rate_per_sec * ${secondsSince('b.refilled_at')})`;

/** What a take grants: nothing while sending is paused, else what is asked and there. */
const GRANT = (level: string): string => `CASE WHEN EXISTS (SELECT 1 FROM pause) THEN 0 ELSE LEAST($3, ${level}) END`;

/** The ms the job's sending is paused for from now; no row when it is not. */
const PAUSE = `SELECT EXTRACT(EPOCH FROM paused_until - clock_timestamp()) * 1000 AS ms
  FROM job_limits WHERE job_id = $1 AND paused_until > clock_timestamp()`;

/**
 * A take in one statement: a bucket taken for the first time starts full (`capacity`), less its grant; an existing
 * one is refilled and charged under its row lock. The grant is written to `granted` so `RETURNING` can read it.
 */
const TAKE_TOKENS = {
  name: 'limits-take-tokens',
  text: `WITH pause AS (${PAUSE})
    INSERT INTO limit_buckets AS b (job_id, bucket, level, rate_per_sec, capacity, refilled_at, granted)
    SELECT $1, $2, $5::double precision - first.amount, $4, $5, clock_timestamp(), first.amount
      FROM (SELECT ${GRANT('$5::double precision')} AS amount) AS first
    ON CONFLICT (job_id, bucket) DO UPDATE SET
      level = ${REFILLED} - ${GRANT(REFILLED)},
      granted = ${GRANT(REFILLED)},
      rate_per_sec = excluded.rate_per_sec,
      capacity = excluded.capacity,
      refilled_at = GREATEST(b.refilled_at, clock_timestamp())
    RETURNING b.granted, (SELECT ms FROM pause) AS paused_for_ms`,
};

export async function takeTokens(db: pg.ClientBase, jobId: string, take: TokenTake): Promise<TokenGrant> {
  const { rows } = await withJob(jobId, () =>
    db.query<{ granted: number; paused_for_ms: number | null }>({
      ...TAKE_TOKENS,
      values: [jobId, take.bucket, Math.max(0, take.want), take.ratePerSec, take.capacity],
    }),
  );
  const row = rows[0];
  return { granted: row?.granted ?? 0, pausedForMs: row?.paused_for_ms ?? null };
}

/** Refilled first, so tokens given back count on top of the time that passed, never past the capacity. */
export async function giveBackTokens(
  db: pg.ClientBase,
  jobId: string,
  bucket: SharedBucket,
  count: number,
): Promise<void> {
  await db.query(
    `UPDATE limit_buckets
        SET level = LEAST(capacity, level + rate_per_sec * ${secondsSince('refilled_at')} + $3),
            refilled_at = GREATEST(refilled_at, clock_timestamp())
      WHERE job_id = $1 AND bucket = $2`,
    [jobId, bucket, Math.max(0, count)],
  );
}

export async function pauseSending(db: pg.ClientBase, jobId: string, forMs: number): Promise<void> {
  await withJob(jobId, () =>
    db.query(
      `INSERT INTO job_limits AS l (job_id, paused_until)
       VALUES ($1, clock_timestamp() + $2 * interval '1 millisecond')
       ON CONFLICT (job_id) DO UPDATE SET paused_until = GREATEST(l.paused_until, excluded.paused_until)`,
      [jobId, Math.max(0, forMs)],
    ),
  );
}

export async function sendingPause(db: pg.ClientBase, jobId: string): Promise<number | null> {
  const { rows } = await db.query<{ ms: number }>({ name: 'limits-pause', text: PAUSE, values: [jobId] });
  return rows[0]?.ms ?? null;
}

/** What is spent once the row is seeded: the stored figure, or the caller's for the job's first reservation. */
const SPENT = 'CASE WHEN l.budget_seeded THEN l.budget_spent_usd ELSE $4::double precision END';
/** What a reservation grants: what is asked, as far as it keeps spent + reserved within the limit. */
const BUDGET_GRANT = `LEAST($3::double precision, GREATEST(0, $2::double precision - ${SPENT} - l.budget_reserved_usd))`;

const RESERVE_BUDGET = {
  name: 'limits-reserve-budget',
  text: `INSERT INTO job_limits AS l (job_id, budget_seeded, budget_spent_usd, budget_reserved_usd, budget_granted_usd)
    SELECT $1, true, $4, first.amount, first.amount
      FROM (SELECT LEAST($3::double precision, GREATEST(0, $2::double precision - $4::double precision)) AS amount)
        AS first
    ON CONFLICT (job_id) DO UPDATE SET
      budget_seeded = true,
      budget_spent_usd = ${SPENT},
      budget_reserved_usd = l.budget_reserved_usd + ${BUDGET_GRANT},
      budget_granted_usd = ${BUDGET_GRANT}
    RETURNING l.budget_granted_usd AS granted`,
};

export async function reserveBudget(db: pg.ClientBase, jobId: string, draw: BudgetDraw): Promise<number> {
  const { rows } = await withJob(jobId, () =>
    db.query<{ granted: number }>({
      ...RESERVE_BUDGET,
      values: [jobId, draw.limitUsd, Math.max(0, draw.wantUsd), draw.spentBeforeUsd],
    }),
  );
  return rows[0]?.granted ?? 0;
}

export async function settleBudget(
  db: pg.ClientBase,
  jobId: string,
  releasedUsd: number,
  spentUsd: number,
): Promise<void> {
  await db.query({
    name: 'limits-settle-budget',
    text: `UPDATE job_limits
              SET budget_reserved_usd = GREATEST(0, budget_reserved_usd - $2),
                  budget_spent_usd = budget_spent_usd + $3
            WHERE job_id = $1`,
    values: [jobId, Math.max(0, releasedUsd), Math.max(0, spentUsd)],
  });
}

/**
 * Every reservation of the job's budget is void: a new cut of its slices withdrew them all, so what workers of the
 * earlier cut reserved (one killed with -9 never gives it back) no longer holds back the budget. A worker of that cut
 * still settling later is floored at 0 by `settleBudget`.
 */
export async function clearBudgetReservations(db: pg.ClientBase, jobId: string): Promise<void> {
  await db.query('UPDATE job_limits SET budget_reserved_usd = 0 WHERE job_id = $1', [jobId]);
}

export async function budgetState(db: pg.ClientBase, jobId: string): Promise<BudgetState> {
  const { rows } = await db.query<{ spent: number; reserved: number }>(
    'SELECT budget_spent_usd AS spent, budget_reserved_usd AS reserved FROM job_limits WHERE job_id = $1',
    [jobId],
  );
  const row = rows[0];
  return { spentUsd: row?.spent ?? 0, reservedUsd: row?.reserved ?? 0 };
}

/** A row for a job that is not there breaks the foreign key: `JOB_NOT_FOUND`, as every other role says. */
async function withJob<T>(jobId: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if ((error as { code?: unknown }).code === '23503') throw jobNotFound(jobId);
    throw error;
  }
}
