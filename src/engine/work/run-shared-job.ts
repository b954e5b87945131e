import type { JobCounts } from '../../core/job.ts';
import { ProviderError } from '../../errors/index.ts';
import type { RealtimeProvider } from '../../providers/provider.ts';
import type { WorkStop } from '../../store/work-slice-store.ts';
import type { SharedStore } from '../../store/shared-store.ts';
import type { Clock } from '../../util/clock.ts';
import type { Logger } from '../../util/logger.ts';
import { sleep } from '../../util/sleep.ts';
import { LOG_EVENT } from '../../util/log-event.ts';
import type { AnswerReview } from '../answer-review.ts';
import type { DispatcherCounters } from '../realtime-dispatcher.ts';
import { runJobScaffold, type EngineEnd, type JobRun, type JobRunOptions } from '../run-job-scaffold.ts';
import type { JobProgress, RunSettings } from '../run-job.ts';
import type { RunJobResult } from '../run-outcome.ts';
import { openJobSliceWork, type JobSliceWork } from './job-slice-work.ts';
import { InputCutter } from './input-cutter.ts';
import { NoWorkerNotice } from './no-worker-notice.ts';

export interface RunSharedJobOptions {
  jobId: string;
  store: SharedStore;
  provider: RealtimeProvider;
  settings: RunSettings;
  /** Items per slice (docs/decisions/0031). */
  sliceItems: number;
  /** How long a slice's holder may go without a heartbeat before this process hands its slice out again. */
  staleMs: number;
  /** `run --no-work`: this process only submits and waits; workers elsewhere send. */
  noWork?: boolean | undefined;
  /** A data job's answer review (checks, re-asks), for this process's own work; workers build theirs from the store. */
  review?: AnswerReview | undefined;
  clock?: Clock | undefined;
  logger?: Logger | undefined;
  signal?: AbortSignal | undefined;
  /** @default 5000 */
  graceMs?: number | undefined;
  reopenFailed?: boolean | undefined;
  onProgress?: ((progress: JobProgress) => void) | undefined;
  /** @default 1000 */
  progressIntervalMs?: number | undefined;
  onStarted?: (() => void) | undefined;
  /** Runs once the job is finalized, its lease still held (a data job's join-back); see `JobRunOptions`. */
  beforeRelease?: JobRunOptions['beforeRelease'];
  /** Told once when no process has taken a slice of the job for a while (`--no-work` with no worker running). */
  onNotice?: ((message: string) => void) | undefined;
}

/**
 * How often the waiting process looks at the job: its slices, a cancel, a worker's stop. One process per job, three
 * indexed reads a look; often, since the job's end is seen no sooner.
 */
const WATCH_MS = 100;

/** Unfinished items after each way a shared run can end: none of them is out on a worker any more. */
const SHARED_CANCEL_REASONS = {
  auth_failed: 'auth',
  unreachable: 'interrupted',
  budget: 'budget',
  cancelled: 'cancelled',
  interrupted: 'interrupted',
} as const;

/**
 * A realtime job in a shared store, run by any number of workers (docs/decisions/0031): this process commits the
 * whole input to the store (each line with it, for workers on other machines), cuts the open items into slices,
 * works on them too unless `noWork`, and waits until every slice is done; the run scaffold around it (lease, result
 * files, report) is the same as a single process's. It ends early on a cancel (`cancel JOB`), on a stop a worker
 * recorded (a refused key, the budget, the endpoint gone) or on the caller's signal: the job's slices are
 * withdrawn, so every worker stops sending them, and what is unsent is cancelled as in one process.
 */
export async function runSharedJob(options: RunSharedJobOptions): Promise<RunJobResult> {
  return runJobScaffold(options, {
    mode: 'realtime',
    startFields: (run) => ({ earlier: run.earlier, shared: true }),
    cancelReasons: SHARED_CANCEL_REASONS,
    run: (run) => superviseSlices(run, options),
  });
}

async function superviseSlices(run: JobRun, options: RunSharedJobOptions): Promise<EngineEnd> {
  const { store } = options;
  const { job, clock, logger } = run;
  // What earlier runs committed is cut at once; the rest of the input is cut as it is committed, so workers send
  // while it is still being read.
  const slices = await store.cutSlices(job.id, options.sliceItems);
  logger.info({ jobId: job.id, slices, sliceItems: options.sliceItems }, LOG_EVENT.sliceCut);
  // Made before the input is read, since its first cut wakes it; it asks whether more comes only once it runs.
  const local = options.noWork === true ? undefined : await localWork(run, options, () => !input.done);
  // This process's own work takes new slices at once; workers elsewhere ask often while the input is cut.
  const input = new InputCutter({ run, store, sliceItems: options.sliceItems, onCut: () => local?.wake() });
  const working = local?.run().catch((error: unknown) => {
    logger.error({ jobId: job.id, message: (error as Error).message }, LOG_EVENT.sliceFail);
  });
  let lastProgress = 0;
  const progress = async (): Promise<void> => {
    if (options.onProgress === undefined) return;
    lastProgress = clock.now();
    options.onProgress(progressOf(run, await store.counts(job.id), local?.counters));
  };
  let end: EngineEnd | undefined;
  const noWorker = new NoWorkerNotice({ jobId: job.id, unit: 'slice', clock, logger, onNotice: options.onNotice });
  try {
    await progress();
    while (end === undefined) {
      await sleep(WATCH_MS, run.signal);
      input.throwIfFailed();
      // Every slice done is the end only once the whole input is cut, as known before the slices were counted: the
      // last ones may be cut while they are.
      const wholeInputCut = input.done;
      const seen = await watch(run, store);
      end = seen.end?.outcome === 'completed' && !wholeInputCut ? undefined : seen.end;
      noWorker.look(seen.held > 0 || end !== undefined);
      if (end === undefined && clock.now() - lastProgress >= (options.progressIntervalMs ?? 1000)) await progress();
    }
  } finally {
    await input.stop();
    if (end?.outcome !== 'completed') await store.withdrawSlices(job.id);
    local?.stop(end?.outcome === 'auth_failed' ? 0 : (options.graceMs ?? 5000));
    await working;
    // The scaffold records what is left of the input after the engine: the reading goes on to its end here first.
    await input.finished();
  }
  await progress();
  return end;
}

/**
 * The job's end, if it has come (every slice done, a cancel, a worker's stop, or the caller's stop), and how many of
 * its slices are held now.
 */
async function watch(run: JobRun, store: SharedStore): Promise<{ end: EngineEnd | undefined; held: number }> {
  if (run.signal.aborted) return { end: { outcome: 'interrupted' }, held: 0 };
  const job = await store.getJob(run.job.id);
  if (job?.cancelRequestedAt !== null && job?.cancelRequestedAt !== undefined) {
    run.logger.info({ jobId: run.job.id }, LOG_EVENT.jobCancel);
    return { end: { outcome: 'cancelled' }, held: 0 };
  }
  const stop = await store.workStop(run.job.id);
  if (stop !== undefined) return { end: endFor(stop), held: 0 };
  const counts = await store.sliceCounts(run.job.id);
  return { end: counts.open === 0 ? { outcome: 'completed' } : undefined, held: counts.held };
}

function endFor(stop: WorkStop): EngineEnd {
  if (stop.reason === 'budget') return { outcome: 'budget' };
  if (stop.reason === 'auth') {
    return { outcome: 'auth_failed', fatal: ProviderError.generate(stop.status ?? 401, stop.message, {}) };
  }
  return { outcome: 'unreachable', fatal: new ProviderError(stop.message, { kind: 'connection' }) };
}

/** This process's own share of the work: a worker like any other, on this job only. */
async function localWork(run: JobRun, options: RunSharedJobOptions, moreComing: () => boolean): Promise<JobSliceWork> {
  return openJobSliceWork({
    jobId: run.job.id,
    store: options.store,
    provider: options.provider,
    settings: options.settings,
    // The run's own parser: it knows the format the reader detected while committing the input.
    parser: run.ingest.parser,
    clock: run.clock,
    logger: run.logger,
    staleMs: options.staleMs,
    review: options.review,
    moreComing,
  });
}

function progressOf(run: JobRun, counts: JobCounts, local: DispatcherCounters | undefined): JobProgress {
  const { job, earlier } = run;
  return {
    jobId: job.id,
    earlier: { succeeded: earlier.succeeded, failed: earlier.failed },
    counters: {
      succeeded: counts.succeeded - earlier.succeeded,
      failed: counts.failed - earlier.failed,
      retries: local?.retries ?? 0,
      inFlight: local?.inFlight ?? 0,
      waitingRetry: counts.retryWait,
      queued: counts.pending,
    },
    accepted: run.cursor.accepted,
    inputFraction: 1,
    inputDone: run.cursor.done,
    elapsedMs: run.clock.now() - run.startedAt,
    learnedRate: null,
  };
}
