import { SlidingCounts } from './sliding-counts.ts';

/** Below this share of failed answers a failure counts as scattered: the endpoint is healthy. */
export const SCATTERED_FAILURE_SHARE = 0.1;
/** A share needs this many outcomes in the window to mean anything; with fewer, no failure is scattered. */
const MIN_OUTCOMES = 20;
const SUCCESS = 0;
const FAILURE = 1;

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
  private readonly counts: SlidingCounts;

  constructor(now: number) {
    this.counts = new SlidingCounts(2, now);
  }

  recordSuccess(now: number): void {
    this.counts.add(SUCCESS, now);
  }

  recordFailure(now: number): void {
    this.counts.add(FAILURE, now);
  }

  /** Whether the failures of the window are few among enough answers: a failure now is the request's, not the endpoint's. */
  isScattered(now: number): boolean {
    const failures = this.counts.total(FAILURE, now);
    const outcomes = this.counts.total(SUCCESS, now) + failures;
    return outcomes >= MIN_OUTCOMES && failures < outcomes * SCATTERED_FAILURE_SHARE;
  }
}
