import type { RateLimitHints } from '../providers/provider.ts';
import { AdaptiveRate } from './adaptive-rate.ts';
import { HintPacer } from './hint-pacer.ts';
import type { RequestPacer } from './request-pacer.ts';
import { TokenBucket } from './token-bucket.ts';

/**
 * Decides when the next request may go. Pure logic on an injected clock; the dispatcher
 * asks `tryAcquire` before each send and reports each outcome.
 *
 * Four limits, all of which must admit a request (a refusal gives back what the earlier
 * ones charged):
 * 1. Adaptive (`AdaptiveRate`): AIMD on a request rate learned from overload answers
 *    (429, 503, 529). A scattered overload answer costs only its own request a backoff,
 *    with its retry-after, in the retry policy; the pool is not paused. Only a burst (at
 *    least 10 % of the last two seconds' outcomes) cuts the rate, to 0.9 x what succeeded,
 *    and holds sending for that answer's retry-after; the rate then grows back linearly and
 *    is forgotten 30 s after the last cut. So a binding limit is found and held, and a
 *    provider's background noise of 429s and 503s costs no throughput.
 * 2. Server hints (`HintPacer`): the `x-ratelimit-*` / `anthropic-ratelimit-*` headers of
 *    successful answers pace sending at the server's refill rate once less than a second of
 *    it is left, before any 429.
 * 3. and 4. Configured `rate_limit.rpm` and `rate_limit.tpm` token buckets (tpm charged with
 *    an estimate before the request, corrected from `usage` after).
 */
export class RateLimiter implements RequestPacer {
  private readonly now: () => number;
  private readonly requestBucket: TokenBucket | null;
  private readonly tokenBucket: TokenBucket | null;
  private readonly adaptive: AdaptiveRate;
  private readonly hints = new HintPacer();

  constructor(options: RateLimiterOptions) {
    this.now = options.now;
    const now = this.now();
    this.requestBucket = options.rpm > 0 ? new TokenBucket(options.rpm / 60, 0.1, now) : null;
    this.tokenBucket = options.tpm > 0 ? new TokenBucket(options.tpm / 60, 1, now) : null;
    this.adaptive = new AdaptiveRate(now);
  }

  get tracksTokens(): boolean {
    return this.tokenBucket !== null;
  }

  /** The requests/s the adaptive limit or the server's hints hold sending to, or null while neither does. */
  get learnedRate(): number | null {
    const adaptive = this.adaptive.learnedRate;
    const hinted = this.hints.rate(this.now());
    if (adaptive === null) return hinted;
    return hinted === null ? adaptive : Math.min(adaptive, hinted);
  }

  /** 0 when a request costing `tokens` was admitted and charged; else ms to wait. */
  tryAcquire(tokens: number): number {
    const now = this.now();
    const adaptiveWait = this.adaptive.take(now);
    if (adaptiveWait > 0) return adaptiveWait;
    const hintWait = this.hints.take(now);
    if (hintWait > 0) {
      this.adaptive.giveBack(now);
      return hintWait;
    }
    const requestWait = this.requestBucket?.take(1, now) ?? 0;
    if (requestWait > 0) {
      this.adaptive.giveBack(now);
      this.hints.giveBack(now);
      return requestWait;
    }
    const tokenWait = this.tokenBucket?.take(tokens, now) ?? 0;
    if (tokenWait > 0) {
      this.adaptive.giveBack(now);
      this.hints.giveBack(now);
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
    this.adaptive.giveBack(now);
    this.hints.giveBack(now);
    this.requestBucket?.adjust(1, now);
    this.tokenBucket?.adjust(tokens, now);
  }

  /**
   * A request sent at `sentAt` (this limiter's clock) succeeded; `hints` are the answer's
   * rate-limit headers, `usedTokens` its usage (0 when unknown).
   */
  recordSuccess(sentAt: number, hints: RateLimitHints | null = null, usedTokens = 0): void {
    const now = this.now();
    this.adaptive.recordSuccess(sentAt, now);
    this.hints.observe(hints, usedTokens, now);
  }

  /**
   * A request sent at `sentAt` was answered 429, 503 or 529 (see `isOverloadStatus`). Returns the ms from now that
   * sending holds for when this answer made a burst that cut the rate (its retry-after), else 0: a limiter shared by
   * several workers tells the others (`SharedRateLimiter`).
   */
  recordOverloaded(sentAt: number, retryAfterMs: number | undefined): number {
    return this.adaptive.recordOverload(sentAt, retryAfterMs, this.now());
  }
}

export interface RateLimiterOptions {
  /** Requests per minute; 0 = no configured limit. */
  rpm: number;
  /** Tokens per minute; 0 = no configured limit. */
  tpm: number;
  now: () => number;
}

/**
 * Answers that mean "the server is over its limit or overloaded, slow down": 429, 503, and
 * 529 (Anthropic's `overloaded_error`). They pace the pool alike; other failures do not.
 */
export function isOverloadStatus(status: number | undefined): boolean {
  return status === 429 || status === 503 || status === 529;
}
