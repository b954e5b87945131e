import { TokenBucket } from './token-bucket.ts';

export interface RateLimiterOptions {
  /** Requests per minute; 0 = no configured limit. */
  rpm: number;
  /** Tokens per minute; 0 = no configured limit. */
  tpm: number;
  now: () => number;
}

/** How far the measured success rate is trusted when a 429 says we are over the limit. */
const BACKOFF_FACTOR = 0.9;
/** Per second without a 429, the learned rate grows by this factor... */
const PROBE_GROWTH_PER_SECOND = 1.05;
/** ...and after this long without one, the learned limit is dropped altogether. */
const FORGET_AFTER_MS = 30_000;
const SUCCESS_WINDOW_MS = 2000;
const SLOT_MS = 100;

/**
 * Decides when the next request may go.
 *
 * Configured limits are token buckets (rpm, and tpm charged with an estimate before the
 * request, corrected from `usage` after). On top, an adaptive limit learned from 429s:
 * every 429 pauses all sending until its retry-after, and sets the request rate to what
 * actually succeeded over the last two seconds (the server's real limit, since we were
 * saturating it), slightly under. Without further 429s the rate grows 5 % a second
 * to probe for more, and is forgotten after 30 s. This keeps a pool of hundreds of
 * workers from hammering a limited endpoint, where retrying each 429 on its own turns
 * into permanent failures.
 */
export class RateLimiter {
  private readonly now: () => number;
  private readonly requestBucket: TokenBucket | null;
  private readonly tokenBucket: TokenBucket | null;
  private adaptiveBucket: TokenBucket | null = null;
  private adaptiveRate = Number.POSITIVE_INFINITY;
  private pausedUntil = 0;
  private lastRateLimitedAt = 0;
  private recentRateLimits = 0;
  private lastDecreaseAt = 0;
  private lastGrowthAt = 0;
  private readonly successSlots = new Uint32Array(SUCCESS_WINDOW_MS / SLOT_MS);
  private successSlotIndex = 0;
  private successSlotStart = 0;
  private firstSuccessAt: number | undefined;

  constructor(options: RateLimiterOptions) {
    this.now = options.now;
    const now = this.now();
    this.requestBucket = options.rpm > 0 ? new TokenBucket(options.rpm / 60, 0.1, now) : null;
    this.tokenBucket = options.tpm > 0 ? new TokenBucket(options.tpm / 60, 1, now) : null;
    this.successSlotStart = now;
  }

  get tracksTokens(): boolean {
    return this.tokenBucket !== null;
  }

  /** The learned requests/s, or null while no 429 taught one. */
  get learnedRate(): number | null {
    return Number.isFinite(this.adaptiveRate) ? this.adaptiveRate : null;
  }

  /** 0 when a request costing `tokens` was admitted and charged; else ms to wait. */
  tryAcquire(tokens: number): number {
    const now = this.now();
    if (now < this.pausedUntil) return this.pausedUntil - now;
    this.growAdaptiveRate(now);
    const adaptiveWait = this.adaptiveBucket?.take(1, now) ?? 0;
    if (adaptiveWait > 0) return adaptiveWait;
    const requestWait = this.requestBucket?.take(1, now) ?? 0;
    if (requestWait > 0) {
      this.adaptiveBucket?.adjust(1, now);
      return requestWait;
    }
    const tokenWait = this.tokenBucket?.take(tokens, now) ?? 0;
    if (tokenWait > 0) {
      this.adaptiveBucket?.adjust(1, now);
      this.requestBucket?.adjust(1, now);
    }
    return tokenWait;
  }

  /** Correct the token charge once `usage` is known. */
  settleTokens(estimated: number, actual: number): void {
    this.tokenBucket?.adjust(estimated - actual, this.now());
  }

  /** Give back a request that was admitted but never sent. */
  release(tokens: number): void {
    const now = this.now();
    this.adaptiveBucket?.adjust(1, now);
    this.requestBucket?.adjust(1, now);
    this.tokenBucket?.adjust(tokens, now);
  }

  recordSuccess(): void {
    const now = this.now();
    this.firstSuccessAt ??= now;
    this.advanceSlots(now);
    this.successSlots[this.successSlotIndex] = (this.successSlots[this.successSlotIndex] ?? 0) + 1;
  }

  recordRateLimited(retryAfterMs: number | undefined): void {
    const now = this.now();
    // A lone 429 is noise (a shared gateway, a hiccup): pause for it, but learn a rate only
    // from several within a second, which is what a real limit produces under load.
    this.recentRateLimits = now - this.lastRateLimitedAt < 1000 ? this.recentRateLimits + 1 : 1;
    this.lastRateLimitedAt = now;
    this.pausedUntil = Math.max(this.pausedUntil, now + Math.min(retryAfterMs ?? 1000, 60_000));
    // One burst of 429s is one signal: decrease at most once per window.
    if (this.recentRateLimits < 3 || now - this.lastDecreaseAt < SUCCESS_WINDOW_MS / 2) return;
    this.lastDecreaseAt = now;
    this.advanceSlots(now);
    let successes = 0;
    for (const count of this.successSlots) successes += count;
    // Early in a run the window is not full yet: divide by the time actually observed.
    const observedMs = Math.min(SUCCESS_WINDOW_MS, Math.max(SLOT_MS, now - (this.firstSuccessAt ?? now)));
    const measured = (successes * 1000) / observedMs;
    const next = measured > 0 ? measured * BACKOFF_FACTOR : this.adaptiveRate / 2;
    this.setAdaptiveRate(Math.max(0.5, Math.min(this.adaptiveRate, next)), now);
  }

  private growAdaptiveRate(now: number): void {
    if (this.adaptiveBucket === null || now - this.lastGrowthAt < 1000) return;
    if (now - this.lastRateLimitedAt > FORGET_AFTER_MS) {
      this.adaptiveBucket = null;
      this.adaptiveRate = Number.POSITIVE_INFINITY;
      return;
    }
    const seconds = (now - this.lastGrowthAt) / 1000;
    this.lastGrowthAt = now;
    if (now - this.lastRateLimitedAt < 1000) return;
    this.setAdaptiveRate(this.adaptiveRate * PROBE_GROWTH_PER_SECOND ** Math.min(seconds, 10), now);
  }

  private setAdaptiveRate(rate: number, now: number): void {
    this.adaptiveRate = rate;
    this.lastGrowthAt = now;
    // A short burst allowance: enough to keep the pipe full, too small to trip the server.
    if (this.adaptiveBucket === null) this.adaptiveBucket = new TokenBucket(rate, 0.05, now);
    else this.adaptiveBucket.setRate(rate, 0.05, now);
  }

  private advanceSlots(now: number): void {
    while (now - this.successSlotStart >= SLOT_MS) {
      this.successSlotStart += SLOT_MS;
      this.successSlotIndex = (this.successSlotIndex + 1) % this.successSlots.length;
      this.successSlots[this.successSlotIndex] = 0;
      if (now - this.successSlotStart > SUCCESS_WINDOW_MS) {
        this.successSlots.fill(0);
        this.successSlotStart = now;
      }
    }
  }
}
