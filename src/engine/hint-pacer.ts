import type { RateLimitHints } from '../providers/provider.ts';
import { TokenBucket } from './token-bucket.ts';

/**
 * Paces requests by the rate-limit headers the server sends with its answers
 * (`x-ratelimit-*`, `anthropic-ratelimit-*`, read into `RateLimitHints`), so the pool slows
 * down before the limit answers 429, not after.
 *
 * Per dimension (requests, and tokens once answers have told the tokens a request uses):
 * - the server's bucket refills at `min(limit / 60 s, (limit - remaining) / reset)`: the
 *   reset headers give the time until the bucket is full again, and providers state their
 *   limits per minute (the minimum also covers a bucket smaller than the stated limit).
 * - while more than one second of refill is left (`remaining >= reserve`), nothing is paced:
 *   the server allows the burst.
 * - below that, requests go at `refill x (0.9 + 0.2 x remaining / reserve)`: a little under
 *   the refill when the bucket is nearly empty, a little over when it is fuller, which holds
 *   the server's bucket near half the reserve instead of at zero.
 * - a hint holds until its reset time or the next answer's hints, whichever comes first.
 */
export class HintPacer {
  private requestRate = Number.POSITIVE_INFINITY;
  private requestUntil = 0;
  private tokenRate = Number.POSITIVE_INFINITY;
  private tokenUntil = 0;
  /** Tokens per request, a moving average of the answers' `usage`. */
  private tokensPerRequest = 0;
  private bucket: TokenBucket | null = null;
  private bucketRate = Number.POSITIVE_INFINITY;

  /** The paced requests/s, or null while the hints ask for no pacing. */
  rate(now: number): number | null {
    const rate = this.currentRate(now);
    return Number.isFinite(rate) ? rate : null;
  }

  observe(hints: RateLimitHints | null, usedTokens: number, now: number): void {
    if (usedTokens > 0) {
      this.tokensPerRequest =
        this.tokensPerRequest === 0 ? usedTokens : this.tokensPerRequest * 0.95 + usedTokens * 0.05;
    }
    if (hints === null) return;
    const requests = paceRate(hints.limitRequests, hints.remainingRequests, hints.resetRequestsMs);
    if (requests !== undefined) {
      this.requestRate = requests;
      this.requestUntil = now + (hints.resetRequestsMs ?? 0);
    }
    const tokens = paceRate(hints.limitTokens, hints.remainingTokens, hints.resetTokensMs);
    if (tokens !== undefined) {
      this.tokenRate = tokens;
      this.tokenUntil = now + (hints.resetTokensMs ?? 0);
    }
  }

  /** 0 when a request may go now (and is charged); else ms to wait. */
  take(now: number): number {
    const rate = this.currentRate(now);
    if (!Number.isFinite(rate)) {
      this.bucket = null;
      this.bucketRate = rate;
      return 0;
    }
    if (this.bucket === null) this.bucket = new TokenBucket(rate, BURST_SECONDS, now);
    else if (rate !== this.bucketRate) this.bucket.setRate(rate, BURST_SECONDS, now);
    this.bucketRate = rate;
    return this.bucket.take(1, now);
  }

  giveBack(now: number): void {
    this.bucket?.adjust(1, now);
  }

  private currentRate(now: number): number {
    const requests = now < this.requestUntil ? this.requestRate : Number.POSITIVE_INFINITY;
    const tokens =
      now < this.tokenUntil && this.tokensPerRequest > 0
        ? this.tokenRate / this.tokensPerRequest
        : Number.POSITIVE_INFINITY;
    return Math.min(requests, tokens);
  }
}

/**
 * Units per second to send at for one dimension of the hints, Infinity for "no pacing", or
 * undefined when the hints say nothing about it (the last word then stands).
 */
export function paceRate(
  limit: number | undefined,
  remaining: number | undefined,
  resetMs: number | undefined,
): number | undefined {
  if (remaining === undefined || resetMs === undefined) return undefined;
  const resetSeconds = Math.max(resetMs, 1) / 1000;
  const refill =
    limit === undefined
      ? // No limit given: spread what is left over the time to the reset (right for a fixed window).
        Math.max(remaining, 1) / resetSeconds
      : limit > remaining
        ? Math.min(limit / 60, (limit - remaining) / resetSeconds)
        : limit / 60;
  if (!(refill > 0)) return undefined;
  const reserve = Math.max(MIN_RESERVE, refill * RESERVE_SECONDS);
  if (remaining >= reserve) return Number.POSITIVE_INFINITY;
  return refill * (0.9 + (0.2 * Math.max(0, remaining)) / reserve);
}

/** Paced once less than this much refill is left at the server. */
const RESERVE_SECONDS = 1;
const MIN_RESERVE = 2;
const BURST_SECONDS = 0.05;
