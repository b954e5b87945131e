import type { RateLimitHints } from '../providers/provider.ts';
import type { SharedBucket, SharedLimitsStore, TokenGrant } from '../store/store.ts';
import type { Clock } from '../util/clock.ts';
import { RateLimiter } from './rate-limiter.ts';
import type { RequestPacer } from './request-pacer.ts';

export interface SharedRateLimiterOptions {
  jobId: string;
  store: Pick<SharedLimitsStore, 'takeTokens' | 'giveBackTokens' | 'pauseSending' | 'sendingPause'>;
  /** `rate_limit.rpm` of the whole job, all workers together; 0 = none. */
  rpm: number;
  /** `rate_limit.tpm` of the whole job, all workers together; 0 = none. */
  tpm: number;
  clock: Clock;
  /**
   * How much of the configured rate one take asks for, in ms of it: the stash's size (docs/decisions/0032).
   * @default 150
   */
  stashMs?: number;
  /** Told when the store failed a take or a pause write and every retry of it; sending waits meanwhile. */
  onError?: (error: unknown) => void;
  /**
   * The waits between tries of a failed take: its retries are this many.
   * @default [100, 400, 1600]
   */
  retryDelaysMs?: readonly number[];
  /** Jitters the wait before asking an empty bucket again (`Math.random` by default; tests pass a seeded one). */
  random?: () => number;
}

/**
 * A `RequestPacer` for one of several workers running the same job: `rate_limit.rpm` and `tpm` are token buckets in
 * the job's database (`SharedLimitsStore`), so all workers together send at the configured rate; the adaptive limit
 * and the server's hints stay this worker's own (a local `RateLimiter` with no configured limit).
 *
 * The dispatcher asks synchronously, so this worker keeps a stash of tokens taken from the shared bucket: a take asks
 * for `stashMs` of the rate (at 600 rpm and 150 ms, 2 requests), and the next one starts in the background when the
 * stash is half spent. With the stash empty, `tryAcquire` says to wait a few ms and a take starts (one at a time); a
 * bucket found short is asked again once a take's worth should have refilled (jittered, so that workers starved
 * together do not ask again together).
 *
 * Pauses: a burst of overload answers that makes the local adaptive limit hold sending (its retry-after) is written
 * to the job (`pauseSending`); every take reads the job's pause, and while it lasts this worker sends nothing.
 * Without a configured limit there is no take: the pause is read on its own, at most every `PAUSE_POLL_MS`.
 *
 * A store that fails a take is tried again (`retryDelaysMs`); once every try failed, `onError` is told and the next
 * `tryAcquire` after `FAILED_WAIT_MS` starts again: sending waits, the process does not crash. `close` gives the
 * stash back to the bucket.
 */
export class SharedRateLimiter implements RequestPacer {
  private readonly options: SharedRateLimiterOptions;
  private readonly local: RateLimiter;
  private readonly requests: StashedBucket | null;
  private readonly tokens: StashedBucket | null;
  private readonly retryDelaysMs: readonly number[];
  /** The job's pause as last read, on this worker's clock. */
  private pausedUntil = Number.NEGATIVE_INFINITY;
  /** No take starts before this (the bucket was found empty, or the store failed). */
  private nextTakeAt = Number.NEGATIVE_INFINITY;
  /** The tokens of the request the stash last could not cover. */
  private tokensNeeded = 0;
  private taking: Promise<void> | null = null;
  private readonly writes = new Set<Promise<void>>();
  private closed = false;
  /** The store's last failure, until a take succeeds again. */
  private failure: unknown = undefined;

  constructor(options: SharedRateLimiterOptions) {
    this.options = options;
    this.local = new RateLimiter({ rpm: 0, tpm: 0, now: () => options.clock.now() });
    const stashSeconds = (options.stashMs ?? DEFAULT_STASH_MS) / 1000;
    this.requests = options.rpm > 0 ? stashedBucket('requests', options.rpm / 60, stashSeconds, 0.2) : null;
    this.tokens = options.tpm > 0 ? stashedBucket('tokens', options.tpm / 60, stashSeconds, 1) : null;
    this.retryDelaysMs = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  }

  get tracksTokens(): boolean {
    return this.tokens !== null;
  }

  get learnedRate(): number | null {
    return this.local.learnedRate;
  }

  /** The store's failure that stopped the last take, until one succeeds again. */
  get error(): unknown {
    return this.failure;
  }

  tryAcquire(tokens: number): number {
    const now = this.options.clock.now();
    if (this.closed) return FAILED_WAIT_MS;
    if (now < this.pausedUntil) return Math.ceil(this.pausedUntil - now);
    if (this.requests === null && this.tokens === null) this.startTake(now);
    const localWait = this.local.tryAcquire(0);
    if (localWait > 0) return localWait;
    if (!this.stashCovers(tokens)) {
      this.local.release(0);
      this.tokensNeeded = tokens;
      this.startTake(now);
      return this.taking === null ? Math.max(1, Math.ceil(this.nextTakeAt - now)) : TAKING_POLL_MS;
    }
    if (this.requests !== null) this.requests.stash -= 1;
    if (this.tokens !== null) this.tokens.stash -= tokens;
    if (this.runsLow()) this.startTake(now);
    return 0;
  }

  release(tokens: number): void {
    this.local.release(0);
    if (this.requests !== null) this.requests.stash += 1;
    if (this.tokens !== null) this.tokens.stash += tokens;
  }

  /** The stash takes the difference: an answer that used more than its estimate leaves it in debt. */
  settleTokens(estimated: number, actual: number): void {
    if (this.tokens !== null) this.tokens.stash += estimated - actual;
  }

  recordSuccess(sentAt: number, hints: RateLimitHints | null = null, usedTokens = 0): void {
    this.local.recordSuccess(sentAt, hints, usedTokens);
  }

  recordOverloaded(sentAt: number, retryAfterMs: number | undefined): void {
    const heldMs = this.local.recordOverloaded(sentAt, retryAfterMs);
    if (heldMs <= 0 || this.closed) return;
    this.track(
      this.options.store.pauseSending(this.options.jobId, heldMs).catch((error: unknown) => this.report(error)),
    );
  }

  /** Resolves once no take and no pause write is under way (tests wait on it; `close` does). */
  async whenSettled(): Promise<void> {
    while (this.taking !== null || this.writes.size > 0) {
      await Promise.all([this.taking, ...this.writes]);
    }
  }

  /** No more sending: what the stash holds goes back to the job's buckets. A failure goes to `onError`. */
  async close(): Promise<void> {
    this.closed = true;
    await this.whenSettled();
    const { store, jobId } = this.options;
    for (const bucket of [this.requests, this.tokens]) {
      if (bucket === null || bucket.stash <= 0) continue;
      const count = bucket.stash;
      bucket.stash = 0;
      await store.giveBackTokens(jobId, bucket.name, count).catch((error: unknown) => this.report(error));
    }
  }

  private stashCovers(tokens: number): boolean {
    if (this.requests !== null && this.requests.stash < 1) return false;
    // A request above the bucket's capacity goes once the stash holds a capacity (as `TokenBucket` lets it).
    return this.tokens === null || this.tokens.stash >= Math.min(tokens, this.tokens.capacity);
  }

  private runsLow(): boolean {
    const low = (bucket: StashedBucket | null): boolean => bucket !== null && bucket.stash < bucket.takeSize / 2;
    return low(this.requests) || low(this.tokens);
  }

  private startTake(now: number): void {
    if (this.taking !== null || this.closed || now < this.nextTakeAt) return;
    this.taking = this.take().finally(() => {
      this.taking = null;
    });
  }

  /** One take of every configured bucket (or a read of the pause when none is), tried again on failure. */
  private async take(): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await this.takeOnce();
        this.failure = undefined;
        return;
      } catch (error) {
        const delay = this.retryDelaysMs[attempt];
        if (delay === undefined || this.closed) {
          this.failure = error;
          this.nextTakeAt = this.options.clock.now() + FAILED_WAIT_MS;
          this.report(error);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private async takeOnce(): Promise<void> {
    const { store, jobId, clock } = this.options;
    const buckets = [this.requests, this.tokens].filter((bucket) => bucket !== null);
    if (buckets.length === 0) {
      const pausedForMs = await store.sendingPause(jobId);
      this.notePause(pausedForMs);
      this.nextTakeAt = clock.now() + PAUSE_POLL_MS;
      return;
    }
    const wants = buckets.map((bucket) => this.wantOf(bucket));
    const grants: TokenGrant[] = await Promise.all(
      buckets.map((bucket, index) =>
        store.takeTokens(jobId, {
          bucket: bucket.name,
          want: wants[index] ?? 0,
          ratePerSec: bucket.ratePerSec,
          capacity: bucket.capacity,
        }),
      ),
    );
    let retakeInMs = 0;
    for (const [index, bucket] of buckets.entries()) {
      const grant = grants[index] ?? { granted: 0, pausedForMs: null };
      bucket.stash += grant.granted;
      this.notePause(grant.pausedForMs);
      if (grant.granted >= (wants[index] ?? 0)) continue;
      // Found short: the bucket is what limits the job now. Ask again once a take's worth (or what the request still
      // misses, when more) should have refilled at the job's rate: asking sooner would mostly find crumbs, costing a
      // statement each, since the other workers take from the same refill.
      const missing = (bucket === this.tokens ? Math.min(this.tokensNeeded, bucket.capacity) : 1) - bucket.stash;
      retakeInMs = Math.max(retakeInMs, (Math.max(missing, bucket.takeSize) / bucket.ratePerSec) * 1000);
    }
    // Jittered: workers that found the bucket empty together would otherwise ask again together, the first in line
    // winning every time.
    const jitter = 0.5 + (this.options.random ?? Math.random)();
    this.nextTakeAt =
      retakeInMs === 0
        ? Number.NEGATIVE_INFINITY
        : clock.now() + Math.min(Math.max(retakeInMs * jitter, MIN_RETAKE_MS), MAX_RETAKE_MS);
  }

  /** A take asks for a stash's worth, and at least what the refused request misses. */
  private wantOf(bucket: StashedBucket): number {
    const needed = bucket === this.tokens ? Math.min(this.tokensNeeded, bucket.capacity) : 1;
    return Math.max(0, Math.max(bucket.takeSize, needed) - Math.max(0, bucket.stash));
  }

  private notePause(pausedForMs: number | null): void {
    if (pausedForMs === null || pausedForMs <= 0) return;
    this.pausedUntil = Math.max(this.pausedUntil, this.options.clock.now() + pausedForMs);
  }

  private track(write: Promise<void>): void {
    this.writes.add(write);
    void write.finally(() => this.writes.delete(write));
  }

  private report(error: unknown): void {
    this.options.onError?.(error);
  }
}

/** One of the job's buckets as this worker sees it: the job's rate and capacity, and the tokens it holds. */
interface StashedBucket {
  name: SharedBucket;
  ratePerSec: number;
  capacity: number;
  /** What one take asks for. */
  takeSize: number;
  /** Tokens taken and not yet charged; below 0 after an answer used more than its estimate. */
  stash: number;
}

/**
 * The shared bucket's capacity is `burstSeconds` of its rate (requests 0.2 s, tokens 1 s, as one process's buckets
 * have about), and never less than a take: a worker finding it full gets a whole stash.
 */
function stashedBucket(
  name: SharedBucket,
  ratePerSec: number,
  stashSeconds: number,
  burstSeconds: number,
): StashedBucket {
  const takeSize = Math.max(1, Math.ceil(ratePerSec * stashSeconds));
  return { name, ratePerSec, capacity: Math.max(takeSize, ratePerSec * burstSeconds), takeSize, stash: 0 };
}

const DEFAULT_STASH_MS = 150;
const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [100, 400, 1600];
/** While a take is under way, the dispatcher asks again this soon (a take is a millisecond or two). */
const TAKING_POLL_MS = 5;
/** A bucket found short is not asked again sooner (bounds the statements a starved worker makes)... */
const MIN_RETAKE_MS = 10;
/** ...nor later: other workers' give-backs and a changed rate show within this. */
const MAX_RETAKE_MS = 1000;
/** After every try of a take failed, sending waits this long before the next tries. */
const FAILED_WAIT_MS = 1000;
/** Without a configured limit, the job's pause is read at most this often. */
const PAUSE_POLL_MS = 250;
