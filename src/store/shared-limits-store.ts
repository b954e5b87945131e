/**
 * Limits held across every worker of one job (docs/decisions/0032): `rate_limit.rpm`/`tpm` as token buckets, the
 * pause a burst of overload answers asks for, and `limits.budget_usd`, all kept in the job's database so that N
 * workers together send what one process would.
 *
 * Not part of `Store`: only a store many processes share (PostgreSQL) has it; one process keeps its limits in memory.
 * Every method is one statement. Times are the database's clock (`clock_timestamp()`), never a caller's, so machines
 * whose clocks disagree share one bucket; a time crossing this contract is a duration in ms from now.
 */
export interface SharedLimitsStore {
  /**
   * Takes up to `want` tokens from the job's `bucket`, first refilled at `ratePerSec` up to `capacity` for the time
   * since the last take (a bucket never taken before starts full). Grants what is there, possibly 0, and nothing while
   * sending is paused. `ratePerSec` and `capacity` are the caller's config, written with each take.
   */
  takeTokens(jobId: string, take: TokenTake): Promise<TokenGrant>;
  /** Gives back tokens taken and never used (a worker's stash when it stops); the level stays at most the capacity. */
  giveBackTokens(jobId: string, bucket: SharedBucket, count: number): Promise<void>;
  /** Holds every worker's sending for `forMs` from now (a burst's retry-after); a pause only ever moves later. */
  pauseSending(jobId: string, forMs: number): Promise<void>;
  /** The ms from now sending is paused for, or null when it is not (read by a worker that has no bucket to take). */
  sendingPause(jobId: string): Promise<number | null>;
  /**
   * Reserves up to `wantUsd` of the budget: grants what keeps spent + reserved within `limitUsd` (possibly 0). The
   * job's first call seeds what is spent with `spentBeforeUsd` (what earlier runs spent); after that the store keeps
   * it, and `spentBeforeUsd` is not read.
   */
  reserveBudget(jobId: string, draw: BudgetDraw): Promise<number>;
  /** Ends reservations: `releasedUsd` leaves what is reserved, `spentUsd` is added to what is spent. */
  settleBudget(jobId: string, releasedUsd: number, spentUsd: number): Promise<void>;
  /** What is spent and reserved now; both 0 for a job that never reserved. */
  budgetState(jobId: string): Promise<BudgetState>;
}

/** `requests`: one token per request (`rate_limit.rpm`); `tokens`: model tokens (`rate_limit.tpm`). */
export type SharedBucket = 'requests' | 'tokens';

export interface TokenTake {
  bucket: SharedBucket;
  want: number;
  ratePerSec: number;
  capacity: number;
}

export interface TokenGrant {
  /** Tokens granted, 0 to `want`. */
  granted: number;
  /** The ms from now sending is paused for (then `granted` is 0), or null when it is not. */
  pausedForMs: number | null;
}

export interface BudgetDraw {
  limitUsd: number;
  wantUsd: number;
  spentBeforeUsd: number;
}

export interface BudgetState {
  spentUsd: number;
  reservedUsd: number;
}
