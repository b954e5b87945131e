import type {
  BudgetDraw,
  BudgetState,
  SharedBucket,
  SharedLimitsStore,
  TokenGrant,
  TokenTake,
} from '../../../src/store/store.ts';

/**
 * `SharedLimitsStore` in memory, on the test's clock (the database's clock in PostgreSQL), with the semantics of
 * src/store/postgres/queries/shared-limits.ts. `failing` makes the next calls reject, as a store that is down.
 */
export class FakeSharedLimits implements SharedLimitsStore {
  private readonly buckets = new Map<SharedBucket, { level: number; at: number; rate: number; capacity: number }>();
  private pausedUntil = Number.NEGATIVE_INFINITY;
  private budget: BudgetState | undefined;
  /** Calls made, by method: what "statements per request" counts. */
  readonly calls = { takeTokens: 0, giveBackTokens: 0, pauseSending: 0, sendingPause: 0, reserve: 0, settle: 0 };
  /** The next this many calls reject. */
  failing = 0;

  private readonly now: () => number;

  constructor(now: () => number) {
    this.now = now;
  }

  async takeTokens(_jobId: string, take: TokenTake): Promise<TokenGrant> {
    this.calls.takeTokens += 1;
    await this.maybeFail();
    const now = this.now();
    const bucket = this.buckets.get(take.bucket) ?? { level: take.capacity, at: now, rate: 0, capacity: 0 };
    bucket.level = Math.min(take.capacity, bucket.level + (take.ratePerSec * Math.max(0, now - bucket.at)) / 1000);
    bucket.at = Math.max(bucket.at, now);
    bucket.rate = take.ratePerSec;
    bucket.capacity = take.capacity;
    const pausedForMs = this.pause(now);
    const granted = pausedForMs === null ? Math.min(take.want, bucket.level) : 0;
    bucket.level -= granted;
    this.buckets.set(take.bucket, bucket);
    return { granted, pausedForMs };
  }

  async giveBackTokens(_jobId: string, name: SharedBucket, count: number): Promise<void> {
    this.calls.giveBackTokens += 1;
    await this.maybeFail();
    const bucket = this.buckets.get(name);
    if (bucket === undefined) return;
    const now = this.now();
    bucket.level = Math.min(
      bucket.capacity,
      bucket.level + (bucket.rate * Math.max(0, now - bucket.at)) / 1000 + count,
    );
    bucket.at = Math.max(bucket.at, now);
  }

  async pauseSending(_jobId: string, forMs: number): Promise<void> {
    this.calls.pauseSending += 1;
    await this.maybeFail();
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + forMs);
  }

  async sendingPause(): Promise<number | null> {
    this.calls.sendingPause += 1;
    await this.maybeFail();
    return this.pause(this.now());
  }

  async reserveBudget(_jobId: string, draw: BudgetDraw): Promise<number> {
    this.calls.reserve += 1;
    await this.maybeFail();
    this.budget ??= { spentUsd: draw.spentBeforeUsd, reservedUsd: 0 };
    const granted = Math.min(draw.wantUsd, Math.max(0, draw.limitUsd - this.budget.spentUsd - this.budget.reservedUsd));
    this.budget.reservedUsd += granted;
    return granted;
  }

  async settleBudget(_jobId: string, releasedUsd: number, spentUsd: number): Promise<void> {
    this.calls.settle += 1;
    await this.maybeFail();
    if (this.budget === undefined) return;
    this.budget.reservedUsd = Math.max(0, this.budget.reservedUsd - releasedUsd);
    this.budget.spentUsd += spentUsd;
  }

  async budgetState(): Promise<BudgetState> {
    await this.maybeFail();
    return { ...(this.budget ?? { spentUsd: 0, reservedUsd: 0 }) };
  }

  /** The bucket's level as of its last write (a test's look inside). */
  level(name: SharedBucket): number {
    return this.buckets.get(name)?.level ?? 0;
  }

  private pause(now: number): number | null {
    return now < this.pausedUntil ? this.pausedUntil - now : null;
  }

  private async maybeFail(): Promise<void> {
    await Promise.resolve();
    if (this.failing > 0) {
      this.failing -= 1;
      throw Object.assign(new Error('store down'), { code: 'STORE_UNREACHABLE' });
    }
  }
}
