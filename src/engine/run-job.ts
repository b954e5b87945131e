import type { IngestCursor, Job, JobCounts } from '../core/job.ts';
import type { ProviderError } from '../errors/index.ts';
import { InputError } from '../errors/index.ts';
import type { LineParserOptions } from '../input/parse-input-line.ts';
import { describeRejectSample, REJECT_SAMPLE_SIZE } from '../input/describe-reject-sample.ts';
import type { Reject } from '../core/reject.ts';
import { RESULT_FILES } from '../output/result-file-names.ts';
import type { RealtimeProvider } from '../providers/provider.ts';
import type { Store } from '../store/store.ts';
import { systemClock, type Clock } from '../util/clock.ts';
import { createLogger, type Logger } from '../util/logger.ts';
import { join } from 'node:path';
import { createTokenCounter, createTokenEstimator } from '../plan/estimate-tokens.ts';
import type { ModelPrice } from '../plan/price-table.ts';
import { openBudget } from './budget-guard.ts';
import type { CommitQueue } from './commit-queue.ts';
import { createRequestCoster } from './estimate-request-cost.ts';
import { feedItems, ingestContext, recordUnread } from './feed-items.ts';
import { finalizeJob } from './finalize-job.ts';
import type { JobReport } from '../output/build-report.ts';
import { openJobRun, startRun } from './open-job-run.ts';
import { RateLimiter } from './rate-limiter.ts';
import { RealtimeDispatcher, type DispatcherCounters } from './realtime-dispatcher.ts';
import { DEFAULT_OUTAGE_MAX_WAIT_S, OutageWatch } from './outage-watch.ts';
import type { RetrySettings } from './retry-policy.ts';
import type { RequestSlots } from './slot-pool.ts';

/** What the engine needs of the resolved config; the CLI derives it (see compose/job-settings.ts). */
export interface RunSettings {
  concurrency: number;
  timeoutMs: number;
  retry: RetrySettings;
  rpm: number;
  tpm: number;
  limit: number;
  order: 'input' | 'completion';
  parser: LineParserOptions;
  maxLineBytes: number;
  /** `limits.budget_usd`; 0 = none. */
  budgetUsd?: number;
  /** `prices` over the built-in table, to cost requests against the budget. */
  prices?: Readonly<Record<string, ModelPrice>>;
  /**
   * `outage.max_wait_s` in ms: how long an unreachable endpoint is waited for before the job stops. `null`: the
   * provider has no endpoint that could be out (local commands: a task that times out is that task's fault).
   * @default 900000
   */
  outageMaxWaitMs?: number | null;
}

export interface JobProgress {
  jobId: string;
  /** Items finished in earlier runs of this job. */
  earlier: { succeeded: number; failed: number };
  counters: DispatcherCounters;
  /** Valid items accepted so far (within the limit). */
  accepted: number;
  /** Fraction of the input file read, 0..1. */
  inputFraction: number;
  inputDone: boolean;
  elapsedMs: number;
  learnedRate: number | null;
}

export interface RunJobOptions {
  jobId: string;
  store: Store;
  provider: RealtimeProvider;
  settings: RunSettings;
  clock?: Clock;
  logger?: Logger;
  /** Aborting it stops the job: no new requests, in-flight ones get `graceMs` to finish. */
  signal?: AbortSignal;
  /** @default 5000 */
  graceMs?: number;
  /** `retry JOB` reopens failed items before running. */
  reopenFailed?: boolean;
  onProgress?: (progress: JobProgress) => void;
  /** @default 250 */
  progressIntervalMs?: number;
  /** A request budget shared with other jobs (the background scheduler's); see `SlotPool`. */
  slots?: RequestSlots | undefined;
  /** A group commit shared with other jobs (the background scheduler's); see `CommitQueue`. */
  commits?: CommitQueue | undefined;
}

/** `unreachable`: the endpoint could not be reached for `outage.max_wait_s`; the job stopped as interrupted. */
export type RunOutcome = 'completed' | 'interrupted' | 'auth_failed' | 'cancelled' | 'budget' | 'unreachable';

const CANCEL_CHECK_MS = 1000;

/** The job state each way a run can end leaves behind. */
export const FINAL_STATES = {
  completed: 'completed',
  interrupted: 'interrupted',
  auth_failed: 'failed',
  cancelled: 'cancelled',
  // The budget is a planned end: the job is complete, with what it could not afford missing (reason `budget`).
  budget: 'completed',
  unreachable: 'interrupted',
} as const satisfies Record<RunOutcome, string>;

export interface RunJobResult {
  outcome: RunOutcome;
  job: Job;
  report: JobReport;
  /** The 401/403 that stopped the job (`auth_failed`), or the last failure to reach the endpoint (`unreachable`). */
  fatal?: ProviderError;
  /** How long the endpoint had been unreachable when the job stopped (`unreachable`), in ms. */
  outageMs?: number;
}

/**
 * Runs (or resumes) one realtime job to its end: lease, feed, dispatch, commit, finalize.
 * Works the same against the simulator, a temp-dir store and a fake clock: all I/O is
 * passed in.
 */
export async function runJob(options: RunJobOptions): Promise<RunJobResult> {
  const { store, provider, settings } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger();
  const startedAt = clock.now();
  const { job: initial, lease } = await openJobRun(store, options.jobId, clock);
  const stop = new AbortController();
  let fatal: ProviderError | undefined;
  let progressTimer: NodeJS.Timeout | undefined;
  let graceTimer: NodeJS.Timeout | undefined;
  let cancelWatch: NodeJS.Timeout | undefined;
  const onOuterAbort = (): void => stop.abort();
  try {
    const { earlier, rewriteOnly } = await startRun(store, initial, options.reopenFailed === true);
    logger.info({ jobId: initial.id, earlier }, 'job-start');

    const limiter = new RateLimiter({ rpm: settings.rpm, tpm: settings.tpm, now: () => clock.now() });
    const budget = await openBudget(store, initial.id, settings);
    let budgetReached = false;
    const outage =
      settings.outageMaxWaitMs === null
        ? undefined
        : new OutageWatch({
            maxWaitMs: settings.outageMaxWaitMs ?? DEFAULT_OUTAGE_MAX_WAIT_S.realtime * 1000,
            now: () => clock.now(),
          });
    let unreachable: { error: ProviderError; outageMs: number } | undefined;
    const dispatcher = new RealtimeDispatcher({
      outage,
      onOutage: (error) => {
        if (unreachable !== undefined || fatal !== undefined) return;
        unreachable = { error, outageMs: outage?.elapsedMs ?? 0 };
        logger.error({ message: error.message, outageMs: unreachable.outageMs }, 'endpoint-unreachable: job stopped');
        stop.abort();
      },
      budget,
      onBudgetReached: () => {
        if (budgetReached) return;
        budgetReached = true;
        logger.warn({ limitUsd: budget?.limitUsd, spentUsd: budget?.spentUsd }, 'budget-reached: no new requests');
        stop.abort();
      },
      jobId: initial.id,
      store,
      provider,
      limiter,
      clock,
      concurrency: settings.concurrency,
      timeoutMs: settings.timeoutMs,
      retry: settings.retry,
      slots: options.slots,
      commits: options.commits,
      onFatal: (error) => {
        if (fatal !== undefined) return;
        fatal = error;
        logger.error({ status: error.status, message: error.message }, 'job-auth-failed');
        stop.abort();
      },
    });
    stop.signal.addEventListener('abort', () => {
      dispatcher.stop();
      if (fatal !== undefined) dispatcher.abortInFlight();
      else graceTimer = setTimeout(() => dispatcher.abortInFlight(), options.graceMs ?? 5000);
    });
    if (options.signal?.aborted === true) stop.abort();
    options.signal?.addEventListener('abort', onOuterAbort, { once: true });
    // `cancel JOB` from another terminal is seen within a second; a job cancelled while nobody ran it stops at once.
    let cancelled = initial.cancelRequestedAt !== null;
    if (cancelled) stop.abort();
    cancelWatch = setInterval(() => {
      store
        .getJob(initial.id)
        .then((job) => {
          if (job?.cancelRequestedAt === null || job === undefined || cancelled) return;
          cancelled = true;
          logger.info({ jobId: initial.id }, 'cancel-requested');
          stop.abort();
        })
        .catch(() => undefined);
    }, CANCEL_CHECK_MS);

    let cursor: IngestCursor = initial.cursor;
    if (options.onProgress !== undefined) {
      const report = options.onProgress;
      const emit = (): void =>
        report(progressOf(initial, earlier, dispatcher.counters, cursor, clock.now() - startedAt, limiter.learnedRate));
      progressTimer = setInterval(emit, options.progressIntervalMs ?? 250);
      emit();
    }
    const ingest = ingestContext(store, initial, settings, (next) => {
      cursor = next;
    });
    try {
      await feedItems({
        ...ingest,
        job: initial,
        dispatcher,
        estimateTokens: settings.tpm > 0 ? await createTokenEstimator() : null,
        costRequest:
          budget === undefined ? undefined : createRequestCoster(await createTokenCounter(), settings.prices ?? {}),
        signal: stop.signal,
      });
    } catch (error) {
      if (!stop.signal.aborted) throw error;
    }
    await dispatcher.whenIdle();
    if (graceTimer !== undefined) clearTimeout(graceTimer);
    if (stop.signal.aborted && !cursor.done) {
      logger.info({ jobId: initial.id, line: cursor.line }, 'recording-unread-lines');
      await recordUnread({ ...ingest, jobId: initial.id, signal: new AbortController().signal });
    }
    if (progressTimer !== undefined) clearInterval(progressTimer);
    options.onProgress?.(
      progressOf(initial, earlier, dispatcher.counters, cursor, clock.now() - startedAt, limiter.learnedRate),
    );

    let outcome: RunOutcome = 'completed';
    if (fatal !== undefined) {
      outcome = 'auth_failed';
      await store.cancelUnfinished(initial.id, 'auth');
    } else if (unreachable !== undefined) {
      outcome = 'unreachable';
      await store.cancelUnfinished(initial.id, 'interrupted');
    } else if (budgetReached) {
      outcome = 'budget';
      await store.cancelUnfinished(initial.id, 'budget');
    } else if (stop.signal.aborted) {
      outcome = cancelled ? 'cancelled' : 'interrupted';
      await store.cancelUnfinished(initial.id, cancelled ? 'cancelled' : 'interrupted');
    }
    const finalState = FINAL_STATES[outcome];
    const result = await finalizeJob({
      store,
      jobId: initial.id,
      finalState,
      order: settings.order,
      limit: settings.limit,
      lease,
      keepState: rewriteOnly,
      clock,
    });
    logger.info({ jobId: initial.id, outcome, counts: result.report.counts }, 'job-end');
    if (outcome === 'completed' && result.report.counts.total === 0) {
      const rejected = result.report.counts.rejected;
      const sample: Reject[] = [];
      for await (const reject of store.iterateRejects(initial.id)) {
        sample.push(reject);
        if (sample.length >= REJECT_SAMPLE_SIZE) break;
      }
      throw new InputError(
        'INPUT_EMPTY',
        `${initial.inputPath}: no valid line (${String(rejected)} rejected; see ${join(initial.outDir, RESULT_FILES.rejects)})${describeRejectSample(sample, rejected)}`,
        { context: { file: initial.inputPath } },
      );
    }
    if (unreachable !== undefined) {
      return { outcome, ...result, fatal: unreachable.error, outageMs: unreachable.outageMs };
    }
    return fatal === undefined ? { outcome, ...result } : { outcome, ...result, fatal };
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort);
    if (progressTimer !== undefined) clearInterval(progressTimer);
    if (graceTimer !== undefined) clearTimeout(graceTimer);
    if (cancelWatch !== undefined) clearInterval(cancelWatch);
    await lease.release();
    logger.flush();
  }
}

function progressOf(
  job: Job,
  earlier: JobCounts,
  counters: DispatcherCounters,
  cursor: IngestCursor,
  elapsedMs: number,
  learnedRate: number | null,
): JobProgress {
  return {
    jobId: job.id,
    earlier: { succeeded: earlier.succeeded, failed: earlier.failed },
    counters,
    accepted: cursor.accepted,
    inputFraction: job.inputFingerprint.size === 0 ? 1 : Math.min(1, cursor.byte / job.inputFingerprint.size),
    inputDone: cursor.done,
    elapsedMs,
    learnedRate,
  };
}
