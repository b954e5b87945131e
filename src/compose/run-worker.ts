import { fromStoredConfig } from '../config/load-config.ts';
import type { BatchpilotError } from '../errors/index.ts';
import type { DispatcherCounters } from '../engine/realtime-dispatcher.ts';
import { isLeaseLive } from '../engine/lease.ts';
import { openJobSliceWork, processHolderPrefix, type JobSliceWork } from '../engine/work/job-slice-work.ts';
import { createLineParser } from '../input/parse-input-line.ts';
import type { SharedStore } from '../store/shared-store.ts';
import { systemClock, type Clock } from '../util/clock.ts';
import type { Logger } from '../util/logger.ts';
import { sleep } from '../util/sleep.ts';
import { LOG_EVENT } from '../util/log-event.ts';
import { dataJobRecordOf } from './data-job-record.ts';
import { toRunSettings } from './job-settings.ts';
import { openChunkWork } from './open-chunk-work.ts';
import { loadSharedDataReview } from './shared-data-job.ts';
import { openRealtimeProvider } from './open-realtime-provider.ts';

export interface RunWorkerOptions {
  store: SharedStore;
  /** Where each job's key is read from (`$api_key_env` of its stored config). */
  env: Readonly<Record<string, string | undefined>>;
  /** `--concurrency`: requests in flight per job at most; unset: each job's own `concurrency`. */
  concurrency?: number | undefined;
  /** `--jobs`: only jobs whose id matches this glob (`*` any run of characters). */
  jobs?: string | undefined;
  /** Aborting it stops the worker: no new slice, in-flight requests get `graceMs`, held slices go back. */
  signal: AbortSignal;
  logger: Logger;
  /** How long a slice's holder may go without a heartbeat before another worker takes it. */
  staleMs: number;
  /** @default 5000 */
  graceMs?: number | undefined;
  clock?: Clock | undefined;
  /** Told now and then what this worker did, per job. */
  onProgress?: ((progress: WorkerProgress) => void) | undefined;
  /** A job this worker cannot work on (its key is not set here, its prompts are not in the store): told once per job. */
  onSkip?: ((jobId: string, reason: string) => void) | undefined;
}

export interface WorkerProgress {
  jobs: { jobId: string; counters: DispatcherCounters }[];
}

/** How often the worker looks for jobs with slices to take and reclaims stale ones. */
const SCAN_MS = 250;

/** A job's work in this worker: its slices (realtime) or its chunks (batch mode, docs/decisions/0034). */
type JobWork = Pick<JobSliceWork, 'jobId' | 'counters' | 'run'> & { stop(graceMs: number): void };

interface Working {
  work: JobWork;
  done: Promise<void>;
  provider: { close(): Promise<void> };
}

/**
 * `batchpilot worker` (docs/decisions/0031): takes slices of every running job of a shared store (or those matching
 * `jobs`) and sends them through the same realtime engine a single process uses, each job with the config it was
 * created with and the key this machine has for it. Every scan also hands out again the slices of workers that
 * stopped heartbeating (killed, hung, cut off), whoever they were. Resolves once stopped, its slices given back.
 */
export async function runWorker(options: RunWorkerOptions): Promise<void> {
  const { store, logger, signal } = options;
  const clock = options.clock ?? systemClock;
  const working = new Map<string, Working>();
  const skipped = new Set<string>();
  logger.info({ jobs: options.jobs ?? '*', concurrency: options.concurrency }, LOG_EVENT.workerStart);
  try {
    while (!signal.aborted) {
      await store.reclaimStaleSlices(options.staleMs, processHolderPrefix());
      for (const jobId of await store.jobsWithOpenSlices(options.jobs)) {
        if (working.has(jobId) || skipped.has(jobId) || signal.aborted) continue;
        const started = await startJob(options, jobId, clock).catch((error: unknown) => {
          skipped.add(jobId);
          const reason = (error as BatchpilotError).message;
          logger.warn({ jobId, reason }, LOG_EVENT.workerSkip);
          options.onSkip?.(jobId, reason);
          return undefined;
        });
        if (started === undefined) continue;
        const entry: Working = {
          ...started,
          done: started.work
            .run()
            .catch((error: unknown) => {
              logger.error({ jobId, message: (error as Error).message }, LOG_EVENT.sliceFail);
            })
            .finally(() => {
              working.delete(jobId);
              void started.provider.close();
            }),
        };
        working.set(jobId, entry);
      }
      options.onProgress?.({
        jobs: [...working.values()].map(({ work }) => ({ jobId: work.jobId, counters: work.counters })),
      });
      await sleep(SCAN_MS, signal);
    }
  } finally {
    for (const { work } of working.values()) work.stop(options.graceMs ?? 5000);
    await Promise.all([...working.values()].map(({ done }) => done));
    logger.info({ reason: signal.aborted ? 'signal' : 'error' }, LOG_EVENT.workerStop);
  }
}

/** A job's work in this worker: its stored config with this machine's key, its provider, parser and limits. */
async function startJob(
  options: RunWorkerOptions,
  jobId: string,
  clock: Clock,
): Promise<{ work: JobWork; provider: { close(): Promise<void> } }> {
  const { store } = options;
  const job = await store.getJob(jobId);
  if (job === undefined) throw new Error(`job ${jobId} is gone from the store`);
  const flags = options.concurrency === undefined ? {} : { concurrency: options.concurrency };
  const { config } = await fromStoredConfig(job.config, { env: options.env, flags });
  if (config.mode === 'batch') {
    return openChunkWork({ jobId, store, config, clock, logger: options.logger, staleMs: options.staleMs });
  }
  const settings = toRunSettings(config);
  const provider = openRealtimeProvider({ config, baseUrl: config.base_url, workDir: job.outDir, env: options.env });
  // A data job's answers are checked and re-asked here as where it was submitted, from the prompts it shared.
  const review = dataJobRecordOf(job) === undefined ? undefined : await loadSharedDataReview(store, jobId);
  const work = await openJobSliceWork({
    review,
    // While the submitting process still reads the job's input (and holds the job), more slices come: wait for them
    // here rather than end and start the job's work over at the next scan.
    moreComing: async () => {
      const now = await store.getJob(jobId);
      return now !== undefined && !now.cursor.done && isLeaseLive(now.lease, clock.now());
    },
    jobId,
    store,
    provider,
    settings,
    parser: createLineParser(settings.parser),
    clock,
    logger: options.logger,
    staleMs: options.staleMs,
  });
  return { work, provider };
}
