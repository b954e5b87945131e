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

/**
 * Runs one remote step until it gets through. Network loss, timeouts, 408/409/429 and 5xx
 * never end a batch job: they are retried without limit, with capped exponential backoff
 * and full jitter. Anything else (a 4xx, 401/403) is the caller's to handle.
 */
export async function callRemote<T>(step: string, call: () => Promise<T>, options: RemoteCallOptions): Promise<T> {
  for (let failures = 0; ;) {
    if (options.signal.aborted) throw new StopRequested();
    try {
      const value = await call();
      if (failures > 0) options.onTrouble(null);
      return value;
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      const decision = decideRetry(error, 1, { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 });
      if (!decision.retry) throw error;
      failures += 1;
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
