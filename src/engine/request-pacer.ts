import type { RateLimitHints } from '../providers/provider.ts';

/**
 * What the realtime dispatcher asks of whatever paces its requests: one process's `RateLimiter`, or a
 * `SharedRateLimiter` whose `rpm`/`tpm` are held across every worker of a job (docs/decisions/0032).
 *
 * Every call is synchronous: the dispatcher's pump asks before each send and must not wait on I/O. A pacer that
 * needs I/O does it in the background and answers from what it holds (a wait, when it holds nothing).
 */
export interface RequestPacer {
  /** Whether requests are charged by tokens (`rate_limit.tpm`): only then is `settleTokens` worth its call. */
  readonly tracksTokens: boolean;
  /** The requests/s the pacer learned to hold sending to (overload answers, server hints), or null; progress shows it. */
  readonly learnedRate: number | null;
  /** 0 when a request costing `tokens` was admitted and charged; else ms to wait before asking again. */
  tryAcquire(tokens: number): number;
  /** Gives back a request that was admitted but never sent. */
  release(tokens: number): void;
  /** Corrects the token charge of a request once its `usage` is known. */
  settleTokens(estimated: number, actual: number): void;
  /** A request sent at `sentAt` (the pacer's clock) succeeded, with the answer's rate-limit headers and usage. */
  recordSuccess(sentAt: number, hints?: RateLimitHints | null, usedTokens?: number): void;
  /** A request sent at `sentAt` was answered 429, 503 or 529, with the server's retry-after when it named one. */
  recordOverloaded(sentAt: number, retryAfterMs: number | undefined): void;
}
