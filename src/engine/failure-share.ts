/** The window the share is taken over, and its resolution. */
const WINDOW_MS = 2000;
const SLOT_MS = 100;
const SLOTS = WINDOW_MS / SLOT_MS;
/** Below this share of failed answers a failure counts as scattered: the endpoint is healthy. */
export const SCATTERED_FAILURE_SHARE = 0.1;
/** A share needs this many outcomes in the window to mean anything; with fewer, no failure is scattered. */
const MIN_OUTCOMES = 20;

/**
 * The share of failed answers among the pool's recent ones (the last two seconds), so the retry policy can tell a
 * scattered failure from a struggling endpoint.
 *
 * Why: exponential backoff protects an endpoint that fails because it is overwhelmed. A healthy one still answers a
 * steady percent or two 500, resets or cut bodies, and backing such a request off for `base_delay_ms` and more only
 * leaves it for the end of the job: its tail (measured: about a second on a 3-second job of 5,000 requests at 5%
 * faults). While the share stays under `SCATTERED_FAILURE_SHARE`, the failed request is retried soon; as soon as the
 * share rises, the full backoff applies again. Overload answers (429/503/529) are paced by `AdaptiveRate` instead.
 */
export class FailureShare {
  private readonly successes = new Uint32Array(SLOTS);
  private readonly failures = new Uint32Array(SLOTS);
  private slotIndex = 0;
  private slotStart: number;

  constructor(now: number) {
    this.slotStart = now;
  }

  recordSuccess(now: number): void {
    this.advance(now);
    this.successes[this.slotIndex] = (this.successes[this.slotIndex] ?? 0) + 1;
  }

  recordFailure(now: number): void {
    this.advance(now);
    this.failures[this.slotIndex] = (this.failures[this.slotIndex] ?? 0) + 1;
  }

  /** Whether the failures of the window are few among enough answers: a failure now is the request's, not the endpoint's. */
  isScattered(now: number): boolean {
    this.advance(now);
    let successes = 0;
    let failures = 0;
    for (let slot = 0; slot < SLOTS; slot += 1) {
      successes += this.successes[slot] ?? 0;
      failures += this.failures[slot] ?? 0;
    }
    const outcomes = successes + failures;
    return outcomes >= MIN_OUTCOMES && failures < outcomes * SCATTERED_FAILURE_SHARE;
  }

  private advance(now: number): void {
    if (now - this.slotStart >= WINDOW_MS + SLOT_MS) {
      this.successes.fill(0);
      this.failures.fill(0);
      this.slotStart = now;
      return;
    }
    while (now - this.slotStart >= SLOT_MS) {
      this.slotStart += SLOT_MS;
      this.slotIndex = (this.slotIndex + 1) % SLOTS;
      this.successes[this.slotIndex] = 0;
      this.failures[this.slotIndex] = 0;
    }
  }
}
