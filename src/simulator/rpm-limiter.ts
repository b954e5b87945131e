/**
 * A token bucket for requests per minute, shaped like OpenAI's limiter as clients see it: the bucket holds one second
 * of burst (`max(1, rpm / 60)` tokens, full at start) and refills continuously at `rpm / 60` tokens per second.
 * A rejected request takes no token, so a client that waits `retryAfterMs` is let in.
 */
export type RpmDecision =
  | { ok: true; limit: number; remaining: number; resetMs: number }
  | { ok: false; limit: number; remaining: number; resetMs: number; retryAfterMs: number };

export interface RpmLimiterOptions {
  rpm: number;
  /** Milliseconds from any fixed origin; injectable so tests need no real time. @default performance.now */
  now?: () => number;
}

export class RpmLimiter {
  readonly rpm: number;
  readonly capacity: number;
  private readonly tokensPerMs: number;
  private readonly now: () => number;
  private tokens: number;
  private updatedAt: number;

  constructor(options: RpmLimiterOptions) {
    if (!Number.isFinite(options.rpm) || options.rpm <= 0) {
      throw new RangeError(`Expected \`rpm\` to be a number above 0, got ${String(options.rpm)}`);
    }
    this.rpm = options.rpm;
    this.capacity = Math.max(1, options.rpm / 60);
    this.tokensPerMs = options.rpm / 60_000;
    this.now = options.now ?? (() => performance.now());
    this.tokens = this.capacity;
    this.updatedAt = this.now();
  }

  tryTake(): RpmDecision {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true, limit: this.rpm, remaining: Math.floor(this.tokens), resetMs: this.msUntilFull() };
    }
    return {
      ok: false,
      limit: this.rpm,
      remaining: 0,
      resetMs: this.msUntilFull(),
      retryAfterMs: Math.max(1, ceilMs((1 - this.tokens) / this.tokensPerMs)),
    };
  }

  private refill(): void {
    const now = this.now();
    const elapsed = now - this.updatedAt;
    if (elapsed > 0) this.tokens = Math.min(this.capacity, this.tokens + elapsed * this.tokensPerMs);
    this.updatedAt = now;
  }

  private msUntilFull(): number {
    return ceilMs((this.capacity - this.tokens) / this.tokensPerMs);
  }
}

// Token arithmetic in floats leaves dust like 300.0000001 ms; rounding it up would advertise a wait 1 ms too long.
function ceilMs(milliseconds: number): number {
  return Math.ceil(milliseconds - 1e-6);
}

/** Formats a duration the way OpenAI's `x-ratelimit-reset-requests` does: `120ms`, `1.5s`, `6m0s`. */
export function formatResetDuration(milliseconds: number): string {
  const ms = Math.max(0, Math.ceil(milliseconds));
  if (ms < 1000) return `${String(ms)}ms`;
  if (ms < 60_000) return `${String(Number((ms / 1000).toFixed(3)))}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Number(((ms % 60_000) / 1000).toFixed(3));
  return `${String(minutes)}m${String(seconds)}s`;
}
