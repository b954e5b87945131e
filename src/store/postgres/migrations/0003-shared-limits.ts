/**
 * PostgreSQL schema version 3: limits held across
 * every worker of a job (`SharedLimitsStore`, docs/decisions/0032). Never edit a migration that has shipped.
 *
 * - `limit_buckets`: one token bucket per job and bucket (`requests` for `rate_limit.rpm`, `tokens` for `tpm`), its
 *   level as of `refilled_at` (the database's clock), the rate and capacity of its last take, and what that take
 *   granted (`granted`: `INSERT ... ON CONFLICT DO UPDATE ... RETURNING` sees only the new row, so the grant is kept
 *   in it to be returned).
 * - `job_limits`: one row per job: the pause a burst of overload answers asks of every worker (`paused_until`,
 *   '-infinity' when none was asked), and `limits.budget_usd`'s spent and reserved dollars (`budget_seeded` once the
 *   first reservation wrote what earlier runs spent; `budget_granted_usd` as `granted` above).
 */
export const migration0003 = `
CREATE TABLE limit_buckets (
  job_id text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  bucket text NOT NULL CHECK (bucket IN ('requests', 'tokens')),
  level double precision NOT NULL,
  rate_per_sec double precision NOT NULL,
  capacity double precision NOT NULL,
  refilled_at timestamptz NOT NULL,
  granted double precision NOT NULL,
  PRIMARY KEY (job_id, bucket)
);

CREATE TABLE job_limits (
  job_id text PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
  paused_until timestamptz NOT NULL DEFAULT '-infinity',
  budget_seeded boolean NOT NULL DEFAULT false,
  budget_spent_usd double precision NOT NULL DEFAULT 0,
  budget_reserved_usd double precision NOT NULL DEFAULT 0,
  budget_granted_usd double precision NOT NULL DEFAULT 0
);
`;
