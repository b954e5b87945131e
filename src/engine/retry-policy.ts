import type { ProviderFailureKind } from '../errors/index.ts';
import { isOverloadStatus } from './rate-limiter.ts';

/** What the policy reads of a failure (a `ProviderError` has all of it). */
export interface RetryInput {
  kind: ProviderFailureKind;
  status?: number | undefined;
  retryAfterMs?: number | undefined;
  shouldRetryHeader?: boolean | undefined;
  /**
   * The pool's recent answers mostly succeeded (`FailureShare.isScattered`): a failure that is not an overload
   * answer is the request's own bad luck, and its backoff is cut to `SCATTERED_BACKOFF_FACTOR` of the usual.
   * @default false
   */
  scattered?: boolean | undefined;
}

/** How much of the usual backoff a scattered failure waits (see `RetryInput.scattered`). */
export const SCATTERED_BACKOFF_FACTOR = 0.1;

/**
 * The one retry policy (STYLE guideline 6): pure, table-driven, unit-tested in full.
 *
 * - An explicit `x-should-retry` header from the server wins over the tables.
 * - 401/403 stop the whole job: every other request would fail the same way.
 * - Retryable statuses and failure kinds back off exponentially with full jitter,
 *   keyed by cause; a server's `retry-after-ms` / `retry-after` is obeyed when it is
 *   within bounds (a server asking for an hour is not believed: we cap it).
 */
export interface RetrySettings {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export type RetryDecision =
  | { kind: 'retry'; delayMs: number }
  | { kind: 'fail-item'; reason: 'maxRetriesExceeded' | 'errorNotRetryable' | 'abort' }
  | { kind: 'stop-job'; reason: 'errorNotRetryable' };

/**
 * Statuses that are retried, with a multiplier of the base delay. The overload answers (429,
 * 503, and 529, Anthropic's `overloaded_error`) back off harder; they also pace the pool
 * (`isOverloadStatus` in rate-limiter.ts).
 */
const RETRYABLE_STATUSES: Readonly<Record<number, number>> = {
  408: 1,
  409: 1,
  429: 2,
  500: 1,
  502: 1,
  503: 2,
  504: 1,
  529: 2,
};

const JOB_STOPPING_STATUSES: ReadonlySet<number> = new Set([401, 403]);

/**
 * Failures without a status, each with its multiplier, or `null` when never retried: `aborted`
 * is ours (the job is stopping), and an answer over `max_response_bytes` would come back as
 * large (no server header changes that).
 */
const KINDS: Readonly<Record<Exclude<ProviderFailureKind, 'http'>, number | null>> = {
  connection: 1,
  timeout: 1,
  malformed: 1,
  aborted: null,
  response_too_large: null,
};

/** Server-provided waits above this are capped rather than obeyed. */
export const MAX_SERVER_RETRY_AFTER_MS = 60_000;

export function decideRetry(
  error: RetryInput,
  attempt: number,
  settings: RetrySettings,
  random: () => number = Math.random,
): RetryDecision {
  if (error.kind === 'aborted') return { kind: 'fail-item', reason: 'abort' };
  if (error.kind !== 'http' && KINDS[error.kind] === null) {
    return { kind: 'fail-item', reason: 'errorNotRetryable' };
  }
  if (error.status !== undefined && JOB_STOPPING_STATUSES.has(error.status)) {
    return { kind: 'stop-job', reason: 'errorNotRetryable' };
  }
  const multiplier = classify(error);
  if (multiplier === undefined) return { kind: 'fail-item', reason: 'errorNotRetryable' };
  if (attempt >= settings.maxAttempts) return { kind: 'fail-item', reason: 'maxRetriesExceeded' };
  return {
    kind: 'retry',
    delayMs: backoffDelay(error.retryAfterMs, attempt, multiplier * scatteredFactor(error), settings, random),
  };
}

function scatteredFactor(error: RetryInput): number {
  if (error.scattered !== true) return 1;
  // Overload answers are always backed off in full: the pool is paced by their share (`AdaptiveRate`).
  return isOverloadStatus(error.status) ? 1 : SCATTERED_BACKOFF_FACTOR;
}

function classify(error: RetryInput): number | undefined {
  if (error.shouldRetryHeader === false) return undefined;
  const fromTable =
    error.kind === 'http'
      ? (RETRYABLE_STATUSES[error.status ?? 0] ?? ((error.status ?? 0) >= 500 ? 1 : undefined))
      : (KINDS[error.kind] ?? undefined);
  if (fromTable === undefined && error.shouldRetryHeader === true) return 1;
  return fromTable;
}

/** Full jitter: uniform in [0, min(max, base * 2^(attempt-1) * multiplier)]; a server's wait is a floor. */
export function backoffDelay(
  retryAfterMs: number | undefined,
  attempt: number,
  multiplier: number,
  settings: Pick<RetrySettings, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * multiplier * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.round(random() * ceiling);
  if (retryAfterMs === undefined || !Number.isFinite(retryAfterMs) || retryAfterMs < 0) return jittered;
  const serverWait = Math.min(retryAfterMs, MAX_SERVER_RETRY_AFTER_MS, Math.max(settings.maxDelayMs, 1));
  // A small jitter on top of the server's wait spreads retries that were told the same time.
  // It stays small: a burst's retries are spread by the pool's learned rate (adaptive-rate.ts),
  // and for a lone 429 every extra millisecond is added to that item's wait for nothing.
  return Math.round(serverWait + random() * Math.min(serverWait * 0.05 + 10, 250));
}
