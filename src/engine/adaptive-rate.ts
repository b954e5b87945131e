import { SLIDING_SLOT_MS, SLIDING_WINDOW_MS, SlidingCounts } from './sliding-counts.ts';
import { TokenBucket } from './token-bucket.ts';

/**
 * The request rate learned from overload answers (429, 503, 529): AIMD on a rate, with a
 * burst detector in front so that scattered overload answers never slow the pool.
 *
 * States:
 * - unbounded (`rate` is Infinity): nothing learned; the pool runs at `concurrency`.
 * - bounded: a token bucket at `rate` requests/s with 50 ms of burst. The rate grows
 *   additively, by 5 % of the rate set at the last decrease per second, and is forgotten
 *   (back to unbounded) 30 s after the last decrease.
 *
 * Events:
 * - an outcome (success or overload signal) of a request sent in the current epoch (since
 *   the last decrease) goes into a 2-second window of outcomes. Outcomes of requests sent
 *   before the last decrease are ignored: they describe the old rate, and counting them
 *   would cut the rate twice for one burst.
 * - a burst: at least 10 % of the window's outcomes (and at least 4) are overload signals,
 *   and the epoch is at least 200 ms old. Then multiplicative decrease: the rate becomes
 *   0.9 x min(rate, goodput) where goodput is what succeeded per second over the window
 *   (the server's real limit while we were over it); when nothing succeeded there is no
 *   rate to learn, and a known rate is halved. Sending holds for the signal's retry-after
 *   (capped at 60 s; 1 s when nothing succeeded and the server named none), and a new
 *   epoch starts when sending resumes.
 *
 * Why a share and not a count: a provider answers a steady few percent of requests 429 or
 * 503 whatever the rate (shared gateways, overloaded shards). At 500 req/s that is a dozen
 * per second, which a count mistakes for a limit; the share stays at a few percent. Each
 * such answer costs only its own request a backoff (the retry policy honours its
 * retry-after for that item). A binding limit drives the share far above 10 % at once.
 */
export class AdaptiveRate {
  private rate = Number.POSITIVE_INFINITY;
  private bucket: TokenBucket | null = null;
  /** The rate set by the last decrease: the additive step is a share of it. */
  private decreasedTo = 0;
  private lastDecreaseAt = Number.NEGATIVE_INFINITY;
  private lastGrowthAt = 0;
  private epochStart: number;
  private pausedUntil = 0;
  /** Outcomes of requests sent in this epoch (`SUCCESS`, `SIGNAL`): what a burst is judged on. */
  private readonly epochOutcomes: SlidingCounts;
  /** Every success, whenever it was sent: the goodput. */
  private readonly arrivals: SlidingCounts;
  private readonly startedAt: number;

  constructor(now: number) {
    this.startedAt = now;
    this.epochStart = now;
    this.epochOutcomes = new SlidingCounts(2, now);
    this.arrivals = new SlidingCounts(1, now);
  }

  /** Requests/s, or null while unbounded. */
  get learnedRate(): number | null {
    return Number.isFinite(this.rate) ? this.rate : null;
  }

  /** 0 when a request may go now (and is charged); else ms to wait. */
  take(now: number): number {
    if (now < this.pausedUntil) return this.pausedUntil - now;
    this.grow(now);
    return this.bucket?.take(1, now) ?? 0;
  }

  /** Gives back a request charged by `take` that another limit then refused. */
  giveBack(now: number): void {
    this.bucket?.adjust(1, now);
  }

  recordSuccess(sentAt: number, now: number): void {
    this.arrivals.add(0, now);
    if (sentAt < this.epochStart) return;
    this.epochOutcomes.add(SUCCESS, now);
  }

  /**
   * A 429, 503 or 529 for a request sent at `sentAt`; `retryAfterMs` as the server asked. Returns the ms from `now`
   * sending is held for when this signal made a burst (0 when it did not, or the burst holds nothing).
   */
  recordOverload(sentAt: number, retryAfterMs: number | undefined, now: number): number {
    if (sentAt < this.epochStart) return 0;
    this.epochOutcomes.add(SIGNAL, now);
    if (now - this.epochStart < MIN_EPOCH_MS) return 0;
    const successes = this.epochOutcomes.total(SUCCESS, now);
    const signals = this.epochOutcomes.total(SIGNAL, now);
    const arrivals = this.arrivals.total(0, now);
    if (signals < MIN_BURST_SIGNALS || signals < BURST_SHARE * (successes + signals)) return 0;
    // Goodput counts every success of the window, whenever it was sent: with a latency longer
    // than the epoch, the epoch's own successes have not come back yet.
    const goodput = (arrivals * 1000) / Math.max(SLIDING_SLOT_MS, Math.min(SLIDING_WINDOW_MS, now - this.startedAt));
    // Nothing succeeded: no rate to learn (the limit is exhausted, not slow); halve a known one.
    const base = goodput > 0 ? Math.min(this.rate, goodput) : this.rate / 2;
    // The pool holds for the burst's retry-after (a second when nothing got through and the
    // server named no wait); the next epoch, and its goodput, start when sending resumes.
    const pauseMs = Math.min(retryAfterMs ?? (goodput > 0 ? 0 : DEFAULT_PAUSE_MS), MAX_PAUSE_MS);
    this.pausedUntil = Math.max(this.pausedUntil, now + pauseMs);
    this.startEpoch(now, this.pausedUntil);
    if (Number.isFinite(base)) this.setRate(Math.max(MIN_RATE, base * DECREASE_FACTOR), now);
    return this.pausedUntil - now;
  }

  private startEpoch(now: number, resumeAt: number): void {
    this.lastDecreaseAt = now;
    this.lastGrowthAt = Math.max(now, resumeAt);
    this.epochStart = Math.max(now, resumeAt);
    this.epochOutcomes.clear();
  }

  private setRate(rate: number, now: number): void {
    this.rate = rate;
    this.decreasedTo = rate;
    if (this.bucket === null) this.bucket = new TokenBucket(rate, BURST_SECONDS, now);
    else this.bucket.setRate(rate, BURST_SECONDS, now);
  }

  private grow(now: number): void {
    if (now - this.lastGrowthAt < GROWTH_STEP_MS) return;
    if (this.bucket === null) return;
    if (now - this.lastDecreaseAt > FORGET_AFTER_MS) {
      this.bucket = null;
      this.rate = Number.POSITIVE_INFINITY;
      return;
    }
    const seconds = (now - this.lastGrowthAt) / 1000;
    this.lastGrowthAt = now;
    this.rate += this.decreasedTo * INCREASE_PER_SECOND * seconds;
    this.bucket.setRate(this.rate, BURST_SECONDS, now);
  }
}

const SUCCESS = 0;
const SIGNAL = 1;
/** A burst: this share of the window's outcomes are overload signals... */
export const BURST_SHARE = 0.1;
/** ...and at least this many of them. */
const MIN_BURST_SIGNALS = 4;
/** An epoch must be this old before it can end in a decrease: enough to measure goodput. */
const MIN_EPOCH_MS = 200;
const DECREASE_FACTOR = 0.9;
/** Additive increase per second, as a share of the rate set by the last decrease. */
const INCREASE_PER_SECOND = 0.05;
const GROWTH_STEP_MS = 100;
const FORGET_AFTER_MS = 30_000;
const MIN_RATE = 0.5;
const BURST_SECONDS = 0.05;
/** A burst where nothing succeeded and no retry-after was named holds the pool this long. */
const DEFAULT_PAUSE_MS = 1000;
/** The retry policy caps a server's wait per item at 60 s too. */
const MAX_PAUSE_MS = 60_000;
