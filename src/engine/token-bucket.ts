/**
 * A token bucket measured in ms. `take` either charges the cost and returns 0, or returns
 * how long to wait. A cost above the capacity is let through once the bucket is full
 * (leaving it in debt), so one large request can never wait forever.
 */
export class TokenBucket {
  private level: number;
  private updatedAt: number;
  private ratePerMs: number;
  private capacity: number;

  constructor(perSecond: number, burstSeconds: number, now: number) {
    this.ratePerMs = perSecond / 1000;
    this.capacity = Math.max(1, perSecond * burstSeconds);
    this.level = this.capacity;
    this.updatedAt = now;
  }

  setRate(perSecond: number, burstSeconds: number, now: number): void {
    this.refill(now);
    this.ratePerMs = perSecond / 1000;
    this.capacity = Math.max(1, perSecond * burstSeconds);
    this.level = Math.min(this.level, this.capacity);
  }

  take(cost: number, now: number): number {
    this.refill(now);
    const needed = Math.min(cost, this.capacity);
    if (this.level >= needed) {
      this.level -= cost;
      return 0;
    }
    return Math.max(1, Math.ceil((needed - this.level) / this.ratePerMs));
  }

  /** Give back (or charge more) when the real cost is known. */
  adjust(delta: number, now: number): void {
    this.refill(now);
    this.level = Math.min(this.capacity, this.level + delta);
  }

  private refill(now: number): void {
    const elapsed = now - this.updatedAt;
    if (elapsed > 0) {
      this.level = Math.min(this.capacity, this.level + elapsed * this.ratePerMs);
      this.updatedAt = now;
    }
  }
}
