import type { IngestCursor, Job, JobCounts } from '../core/job.ts';
import type { ProviderError } from '../errors/index.ts';
import { InputError } from '../errors/index.ts';
import type { LineParserOptions } from '../input/parse-input-line.ts';
import { describeRejectSample, REJECT_SAMPLE_SIZE } from '../input/describe-reject-sample.ts';
import type { Reject } from '../core/reject.ts';
import { RESULT_FILES } from '../output/result-file-names.ts';
import type { RealtimeProvider } from '../providers/provider.ts';
import type { Store } from '../store/store.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/logger.ts';
import { join } from 'node:path';
import { createTokenCounter, createTokenEstimator } from '../plan/estimate-tokens.ts';
import type { ModelPrice } from '../plan/price-table.ts';
import type { AnswerReview } from './answer-review.ts';
import type { GroupReportLine } from '../output/build-report.ts';
import { SKIPPED_REASON, type AdmissionPolicy } from './admission-policy.ts';
import type { SendHold } from './send-hold.ts';
import { openBudget } from './budget-guard.ts';
import type { CommitQueue } from './commit-queue.ts';
import { createRequestCoster } from './estimate-request-cost.ts';
import { feedItems } from './feed-items.ts';
import { runJobScaffold, type EngineEnd, type JobRun, type RunEngine } from './run-job-scaffold.ts';
import type { RunJobResult } from './run-outcome.ts';
import { RateLimiter } from './rate-limiter.ts';
import { RealtimeDispatcher, type DispatcherCounters } from './realtime-dispatcher.ts';
import { DEFAULT_OUTAGE_MAX_WAIT_S, OutageWatch } from './outage-watch.ts';
import type { RetrySettings } from './retry-policy.ts';
import type { RequestSlots } from './slot-pool.ts';
import { LOG_EVENT } from '../util/log-event.ts';

/** What the engine needs of the resolved config; compose/ derives it (`toRunSettings` in compose/job-settings.ts). */
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
  /** Checks every answer and asks again for those not valid (a data job; docs/decisions/0019). */
  review?: AnswerReview | undefined;
  /** Called once the run has started (see the scaffold's `onStarted`). */
  onStarted?: (() => void) | undefined;
  /**
   * Admission by need (docs/decisions/0024): only the units the policy admits are sent; when the run completes, the
   * open items it never admitted end `cancelled` with the reason `target_reached`.
   */
  admission?: AdmissionPolicy | undefined;
  /** A data job's per-group lines for report.json (docs/decisions/0024). */
  reportGroups?: (() => GroupReportLine[]) | undefined;
  /** Holds sending while it says so (a data job's sink that is down; see `SendHold`). */
  hold?:
    | SendHold
    | undefined; /** Runs once the job is finalized, its lease still held (see the scaffold's `beforeRelease`). */
  beforeRelease?: ((result: RunJobResult) => Promise<void>) | undefined;
}

const CANCEL_CHECK_MS = 1000;

/** Unfinished items after each way a realtime run can end: none of them is out anywhere, so all are cancelled. */
const REALTIME_CANCEL_REASONS = {
  auth_failed: 'auth',
  unreachable: 'interrupted',
  budget: 'budget',
  cancelled: 'cancelled',
  interrupted: 'interrupted',
} as const satisfies RunEngine['cancelReasons'];

/**
 * Runs (or resumes) one realtime job to its end: lease, feed, dispatch, commit, finalize.
 * Works the same against the simulator, a temp-dir store and a fake clock: all I/O is
 * passed in. The lease, ingest and finalize around it are the run scaffold's (`run-job-scaffold.ts`).
 */
export async function runJob(options: RunJobOptions): Promise<RunJobResult> {
  const { admission } = options;
  const scaffoldOptions =
    admission === undefined ? options : { ...options, groupOf: (customId: string) => admission.groupOf(customId) };
  const result = await runJobScaffold(scaffoldOptions, {
    mode: 'realtime',
    startFields: (run) => ({ earlier: run.earlier }),
    cancelReasons: REALTIME_CANCEL_REASONS,
    run: (run) => dispatchItems(run, options),
  });
  if (result.outcome === 'completed' && result.report.counts.total === 0) {
    const { job } = result;
    const rejected = result.report.counts.rejected;
    const sample: Reject[] = [];
    for await (const reject of options.store.iterateRejects(job.id)) {
      sample.push(reject);
      if (sample.length >= REJECT_SAMPLE_SIZE) break;
    }
    throw new InputError(
      'INPUT_EMPTY',
      `${job.inputPath}: no valid line (${String(rejected)} rejected; see ${join(job.outDir, RESULT_FILES.rejects)})${describeRejectSample(sample, rejected)}`,
      { context: { file: job.inputPath } },
    );
  }
  return result;
}

/** The realtime engine: feeds the items to the dispatcher until the input is sent or the run stops. */
async function dispatchItems(run: JobRun, options: RunJobOptions): Promise<EngineEnd> {
  const { store, provider, settings } = options;
  const { job: initial, clock, logger, earlier } = run;
  let fatal: ProviderError | undefined;
  let progressTimer: NodeJS.Timeout | undefined;
  let graceTimer: NodeJS.Timeout | undefined;
  let cancelWatch: NodeJS.Timeout | undefined;
  try {
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
        logger.error(
          { reason: 'unreachable', message: error.message, outageMs: unreachable.outageMs },
          LOG_EVENT.jobStop,
        );
        run.stop();
      },
      budget,
      onBudgetReached: () => {
        if (budgetReached) return;
        budgetReached = true;
        logger.warn(
          { holds: 'requests', limitUsd: budget?.limitUsd, spentUsd: budget?.spentUsd },
          LOG_EVENT.budgetReach,
        );
        run.stop();
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
      review: options.review,
      onSettled: options.admission === undefined ? undefined : (outcome) => options.admission?.settled(outcome),
      hold: options.hold,
      onFatal: (error) => {
        if (fatal !== undefined) return;
        fatal = error;
        logger.error({ reason: 'auth', status: error.status, message: error.message }, LOG_EVENT.jobStop);
        run.stop();
      },
    });
    run.onStop(() => {
      dispatcher.stop();
      if (fatal !== undefined) dispatcher.abortInFlight();
      else graceTimer = setTimeout(() => dispatcher.abortInFlight(), options.graceMs ?? 5000);
    });
    // `cancel JOB` from another terminal is seen within a second; a job cancelled while nobody ran it stops at once.
    let cancelled = initial.cancelRequestedAt !== null;
    if (cancelled) run.stop();
    cancelWatch = setInterval(() => {
      store
        .getJob(initial.id)
        .then((job) => {
          if (job?.cancelRequestedAt === null || job === undefined || cancelled) return;
          cancelled = true;
          logger.info({ jobId: initial.id }, LOG_EVENT.jobCancel);
          run.stop();
        })
        .catch(() => undefined);
    }, CANCEL_CHECK_MS);

    const progress = (): JobProgress =>
      progressOf(initial, earlier, dispatcher.counters, run.cursor, clock.now() - run.startedAt, limiter.learnedRate);
    if (options.onProgress !== undefined) {
      const report = options.onProgress;
      progressTimer = setInterval(() => report(progress()), options.progressIntervalMs ?? 250);
      report(progress());
    }
    try {
      await feedItems({
        ...run.ingest,
        job: initial,
        dispatcher,
        estimateTokens: settings.tpm > 0 ? await createTokenEstimator() : null,
        costRequest:
          budget === undefined ? undefined : createRequestCoster(await createTokenCounter(), settings.prices ?? {}),
        signal: run.signal,
        review: options.review,
        admission: options.admission,
      });
    } catch (error) {
      if (!run.signal.aborted) throw error;
    }
    await dispatcher.whenIdle();
    if (graceTimer !== undefined) clearTimeout(graceTimer);
    // Before the last progress figures, so they show the whole input read.
    await run.recordUnread();
    if (progressTimer !== undefined) clearInterval(progressTimer);
    options.onProgress?.(progress());

    if (fatal !== undefined) return { outcome: 'auth_failed', fatal };
    if (unreachable !== undefined) {
      return { outcome: 'unreachable', fatal: unreachable.error, outageMs: unreachable.outageMs };
    }
    if (budgetReached) return { outcome: 'budget' };
    if (run.signal.aborted) return { outcome: cancelled ? 'cancelled' : 'interrupted' };
    // Every unit the groups needed was sent: what is left open, no group needs (their own state, not missing).
    if (options.admission !== undefined) await store.cancelUnfinished(initial.id, SKIPPED_REASON);
    return { outcome: 'completed' };
  } finally {
    if (progressTimer !== undefined) clearInterval(progressTimer);
    if (graceTimer !== undefined) clearTimeout(graceTimer);
    if (cancelWatch !== undefined) clearInterval(cancelWatch);
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
