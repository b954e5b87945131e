/**
 * Whether the whole endpoint is down, as the requests of one run see it. Any HTTP answer, even an error, proves the
 * endpoint is there; a connection failure or timeout of a request during which no other request got an answer is
 * taken for an outage, not for a fault of that item:
 * - such a failure costs its item no attempt (it is sent again, never failed for the outage);
 * - after `PAUSE_AFTER` of them in a row the pool pauses: one request at a time goes out as a probe, with a backoff
 *   growing up to `MAX_PROBE_DELAY_MS`, until one gets an answer;
 * - once the failures have lasted `maxWaitMs` (`outage.max_wait_s`) with no answer, the run stops (interrupted, every
 *   unfinished item kept for `resume`).
 * A request that fails while others get answers is an ordinary failure of its item, retried within
 * `retry.max_attempts`. So is a job with concurrency 1 whose one item keeps failing to connect: it looks like an
 * outage and stops the job after `maxWaitMs` rather than failing the item.
 */
export class OutageWatch {
  private readonly maxWaitMs: number;
  private readonly now: () => number;
  private lastAnswerAt = Number.NEGATIVE_INFINITY;
  /** When the first connection failure since the last answer happened; null while answers come. */
  private since: number | null = null;
  private failuresInRow = 0;

  constructor(options: { maxWaitMs: number; now: () => number }) {
    this.maxWaitMs = options.maxWaitMs;
    this.now = options.now;
  }

  /** Any HTTP answer (a success or an error status) ends an outage. */
  recordAnswer(): void {
    this.lastAnswerAt = this.now();
    this.since = null;
    this.failuresInRow = 0;
  }

  /**
   * A request sent at `startedAt` failed to connect or timed out. Returns whether it counts as an outage (no request
   * got an answer while it was out), and so costs its item no attempt.
   */
  recordUnreachable(startedAt: number): boolean {
    if (this.lastAnswerAt >= startedAt) return false;
    this.since ??= this.now();
    this.failuresInRow += 1;
    return true;
  }

  /** Whether the pool should hold back to one probe at a time. */
  get isPaused(): boolean {
    return this.failuresInRow >= PAUSE_AFTER;
  }

  /** How long the endpoint has been unreachable, in ms (0 while answers come). */
  get elapsedMs(): number {
    return this.since === null ? 0 : this.now() - this.since;
  }

  /** Whether the outage has lasted `maxWaitMs`: the run should stop. */
  get isExhausted(): boolean {
    return this.since !== null && this.elapsedMs >= this.maxWaitMs;
  }

  /** The wait before the next probe: doubling from 250 ms with the failures in a row, capped, never past the deadline. */
  nextProbeDelayMs(random: () => number): number {
    const cap = Math.min(MAX_PROBE_DELAY_MS, 250 * 2 ** Math.min(this.failuresInRow, 10));
    const left = this.since === null ? cap : Math.max(0, this.maxWaitMs - this.elapsedMs);
    return Math.min(left, Math.round(cap / 2 + (random() * cap) / 2));
  }
}

/** Outage failures in a row (no answer between them) after which the pool sends one probe at a time. */
export const PAUSE_AFTER = 3;

/** The longest wait between two probes of an unreachable endpoint. */
export const MAX_PROBE_DELAY_MS = 30_000;

/** `outage.max_wait_s` when unset, per mode. */
export const DEFAULT_OUTAGE_MAX_WAIT_S = { realtime: 900, batch: 3600 } as const;
