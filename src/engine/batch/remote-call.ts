import { setTimeout as sleep } from 'node:timers/promises';
import { ProviderError } from '../../errors/index.ts';
import { backoffDelay, decideRetry } from '../retry-policy.ts';

/** What the job is waiting on while the provider cannot be reached. */
export interface NetworkTrouble {
  step: string;
  message: string;
  /** When the next try goes out (ms epoch). */
  retryAt: number;
  failures: number;
}

export interface RemoteCallOptions {
  signal: AbortSignal;
  /**
   * How long a step may keep failing to reach the provider (connection failures, timeouts, 5xx) before the job
   * stops (`outage.max_wait_s`). 429s never count: they pace, they do not mean the endpoint is gone.
   */
  maxOutageMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
  now: () => number;
  /** Told of every failed try that will be retried, and (with null) when a call gets through again. */
  onTrouble: (trouble: NetworkTrouble | null) => void;
}

/** Thrown when the job is told to stop while a remote call waits to be retried. */
export class StopRequested extends Error {
  constructor() {
    super('stopping');
  }
}

/** Thrown when a remote step could not reach the provider for `maxOutageMs`: the job stops, resumable. */
export class EndpointOutage extends Error {
  readonly last: ProviderError;
  readonly outageMs: number;
  constructor(step: string, last: ProviderError, outageMs: number) {
    super(`${step}: the provider could not be reached for ${String(Math.round(outageMs / 1000))} s`);
    this.last = last;
    this.outageMs = outageMs;
  }
}

/**
 * Runs one remote step until it gets through. Network loss, timeouts, 408/409/429 and 5xx
 * never fail a line: they are retried with capped exponential backoff and full jitter, 429s
 * without limit, the others until they have lasted `maxOutageMs` (then `EndpointOutage`).
 * Anything else (a 4xx, 401/403) is the caller's to handle.
 */
export async function callRemote<T>(step: string, call: () => Promise<T>, options: RemoteCallOptions): Promise<T> {
  let outageSince: number | null = null;
  for (let failures = 0; ;) {
    if (options.signal.aborted) throw new StopRequested();
    try {
      const value = await call();
      if (failures > 0) options.onTrouble(null);
      return value;
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      const decision = decideRetry(error, 1, { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 });
      if (decision.kind !== 'retry') throw error;
      failures += 1;
      if (error.status === 429) {
        outageSince = null;
      } else {
        outageSince ??= options.now();
        const outageMs = options.now() - outageSince;
        if (outageMs >= options.maxOutageMs) throw new EndpointOutage(step, error, outageMs);
      }
      const delay = backoffDelay(error.retryAfterMs, failures, 1, options);
      options.onTrouble({ step, message: error.message, retryAt: options.now() + delay, failures });
      try {
        await sleep(delay, undefined, { signal: options.signal });
      } catch {
        throw new StopRequested();
      }
    }
  }
}
