import { jobDirPath } from './job-paths.ts';
import { startFollowingJoinBack } from './join-back-thread.ts';
import type { ResolvedConfig } from '../config/config-schema.ts';
import { toStoredConfig } from '../config/stored-config.ts';
import type { BatchProgress } from '../engine/batch/run-batch-job.ts';
import { runBatchJob } from '../engine/batch/run-batch-job.ts';
import { runJob, type JobProgress } from '../engine/run-job.ts';
import { runSharedJob } from '../engine/work/run-shared-job.ts';
import { runSharedBatchJob } from '../engine/work/run-shared-batch-job.ts';
import { DEFAULT_SLICE_LEASE_S } from '../engine/work/job-slice-work.ts';
import { isSharedStore } from '../store/shared-store.ts';
import type { RunJobResult, RunOutcome } from '../engine/run-outcome.ts';
import type { AnswerReview } from '../engine/answer-review.ts';
import type { SendHold } from '../engine/send-hold.ts';
import { SinkHold } from './sink-hold.ts';
import type { Job } from '../core/job.ts';
import type { Sink } from '../sinks/sink.ts';
import type { IntegrateDataJobResult } from '../output/integrate-data-job.ts';
import { MANIFEST_ROWS_FILE, readManifestRows } from '../prep/manifest.ts';
import { readGroupAdmission, toGroupReportLines, type GroupAdmission } from './group-admission.ts';
import { dataJobRecordOf, loadPromptSnapshot } from './data-job-record.ts';
import type { PromptSet } from '../prep/prompt-spec.ts';
import { join } from 'node:path';
import type { CommitQueue } from '../engine/commit-queue.ts';
import type { RequestSlots } from '../engine/slot-pool.ts';
import type { HttpConnections } from '../providers/http-connections.ts';
import type { SimulatorHandle } from '../simulator/index.ts';
import type { Store } from '../store/store.ts';
import type { Logger } from '../util/logger.ts';
import { openBatchProvider } from './open-batch-provider.ts';
import { openRealtimeProvider } from './open-realtime-provider.ts';
import { toBatchSettings, toRunSettings } from './job-settings.ts';
import { startQuickstartSimulator } from './quickstart-simulator.ts';
import { EndpointError, type SinkError } from '../errors/index.ts';
import type { EndpointProbe } from '../providers/probe-endpoint.ts';
import { probeJobEndpoint } from './endpoint-probe.ts';
import { LOG_EVENT } from '../util/log-event.ts';
import { withoutCredentials } from '../util/without-credentials.ts';

/**
 * The one composition of a run, for the foreground (`execute-job.ts`) and the scheduler:
 * the optional in-process simulator, the provider the config names (realtime or batch), and
 * the matching engine. Printing and exit codes stay with the callers. The provider is
 * wrapped by `redact-provider.ts`: nothing it returns or throws reaches the engine (store,
 * files, log, messages) before the secrets in use are masked in it.
 */
export async function runConfiguredJob(given: RunConfiguredJobOptions): Promise<ConfiguredJobRun> {
  // Started first and stopped last: a sink's embeddings (`vectors:`) are asked of it until the join-back's last batch.
  let simulator: SimulatorHandle | undefined;
  if (given.config.simulate) {
    simulator = await startQuickstartSimulator();
    given.onSimulator?.(simulator.baseUrl);
  }
  try {
    return await runAgainst(given, simulator?.baseUrl ?? given.config.base_url);
  } finally {
    await simulator?.close();
  }
}

async function runAgainst(given: RunConfiguredJobOptions, baseUrl: string | undefined): Promise<ConfiguredJobRun> {
  const job = await given.store.getJob(given.jobId);
  const data = job === undefined || dataJobRecordOf(job) === undefined ? undefined : job;
  const reviewed = data === undefined ? undefined : await dataJobReview(given);
  // Opened before anything is sent (a sink that cannot take the rows stops the run here), and kept open in this
  // thread for the run: the join-back thread has them write its batches.
  const sinks = data === undefined ? new Map<string, Sink>() : await openSinks(given, data, baseUrl);
  try {
    const options = await withAlreadyFromCounted(given, sinks);
    return await runWithSinks(options, reviewed, sinks, baseUrl);
  } finally {
    for (const sink of sinks.values()) await sink.close().catch(() => undefined);
  }
}

async function runWithSinks(
  given: RunConfiguredJobOptions,
  reviewed: DataJobReview | undefined,
  sinks: ReadonlyMap<string, Sink>,
  baseUrl: string | undefined,
): Promise<ConfiguredJobRun> {
  const review = reviewed?.review;
  // A sink that stays down holds the run's sending, then stops the run (interrupted) once its wait is over.
  const hold = sinks.size > 0 ? new SinkHold() : undefined;
  const stop = new AbortController();
  let sinkFailure: SinkError | undefined;
  const options = sinks.size > 0 ? { ...given, signal: AbortSignal.any([given.signal, stop.signal]) } : given;
  // Realtime only: a batch job waits hours on its chunks, and its join-back is nothing beside that wait.
  const follower =
    review !== undefined && options.config.mode === 'realtime'
      ? startFollowingJoinBack({
          ...options,
          sinks,
          hold,
          onSinkFailure: (error) => {
            sinkFailure ??= error;
            stop.abort();
          },
        })
      : undefined;
  let integration: IntegrateDataJobResult | undefined;
  // The join-back (and the sinks' last batches) run before the run lets go of the job's lease: whoever waits for the
  // job to end (`wait`, `monitor`) then finds its dataset, report and sinks complete.
  const joinBack = async (ended: RunJobResult): Promise<void> => {
    if (review === undefined || sinkFailure !== undefined || !INTEGRATED_OUTCOMES.has(ended.outcome)) return;
    // `ended.job` is the job as the run finalized it.
    integration = (await follower?.finish()) ?? (await joinBackInThisThread(options, ended.job, sinks));
  };
  let result: RunJobResult;
  try {
    result = await runEngine(
      follower === undefined
        ? options
        : {
            ...options,
            onRealtimeProgress: (progress) => {
              follower.progress(progress);
              options.onRealtimeProgress?.(progress);
            },
          },
      review,
      baseUrl,
      { onStarted: follower?.started, hold, beforeRelease: joinBack, prompts: reviewed?.prompts },
    );
  } catch (error) {
    await follower?.abandon();
    throw error;
  } finally {
    hold?.releaseAll();
  }
  if (sinkFailure !== undefined) {
    await follower?.abandon();
    throw sinkFailure;
  }
  if (integration === undefined) {
    await follower?.abandon();
    return result;
  }
  return { ...result, integration };
}

/** The join-back after the run (batch mode, or when the thread that follows a run could not), feeding the sinks. */
async function joinBackInThisThread(
  options: RunConfiguredJobOptions,
  job: Job,
  open: ReadonlyMap<string, Sink>,
): Promise<IntegrateDataJobResult> {
  const [{ integrateStoredJob }, { keptOpen, startJobSinks }] = await Promise.all([
    import('./integrate-stored-job.ts'),
    import('./job-sinks.ts'),
  ]);
  const sinks = await startJobSinks({
    ...options,
    job,
    signal: options.signal,
    makeSink: (entry) => {
      const sink = open.get(entry.name);
      if (sink === undefined) throw new Error(`sink ${entry.name} was not opened for the run`);
      return keptOpen(sink);
    },
  });
  return integrateStoredJob({ ...options, job, sinks });
}

/** A data job's sinks, opened in this thread; none without `sinks:`. */
async function openSinks(
  options: RunConfiguredJobOptions,
  job: Job,
  baseUrl: string | undefined,
): Promise<Map<string, Sink>> {
  if ((options.config.sinks ?? []).length === 0) return new Map();
  const { openJobSinks } = await import('./job-sinks.ts');
  return openJobSinks({ ...options, job, baseUrl });
}

/**
 * `groups.already_from` counted once, at the job's first run, into `groups.already` in the job's stored config: the
 * sink may be the very table this job fills, whose rows a later run must not count again (they are the job's own
 * valid rows by then).
 */
async function withAlreadyFromCounted(
  options: RunConfiguredJobOptions,
  sinks: ReadonlyMap<string, Sink>,
): Promise<RunConfiguredJobOptions> {
  const { groups } = options.config;
  if (groups?.already_from === undefined) return options;
  const { countSinkGroups } = await import('./job-sinks.ts');
  const counts = await countSinkGroups(options.config, sinks, groups.already_from);
  const already: Record<string, number> = { ...groups.already };
  for (const [group, count] of counts) already[group] = (already[group] ?? 0) + count;
  const { already_from: _counted, ...rest } = groups;
  const config: ResolvedConfig = { ...options.config, groups: { ...rest, already } };
  await options.store.setJobConfig(options.jobId, toStoredConfig(config));
  return { ...options, config };
}

/** What a run of a job returns; a data job that reached its end has been joined back too. */
export interface ConfiguredJobRun extends RunJobResult {
  /** The enriched dataset and its report, written when a data job ends (not when it stops to be resumed). */
  integration?: IntegrateDataJobResult;
}

/** A data job is joined back when it ends; a stop that resume carries on (interrupted, an endpoint gone) is not. */
const INTEGRATED_OUTCOMES: ReadonlySet<RunOutcome> = new Set(['completed', 'cancelled', 'budget']);

/** A data job's answer review, and the prompts frozen with the job it was built from. */
interface DataJobReview {
  review: AnswerReview;
  prompts: PromptSet;
}

/**
 * A data job's answer review (checks and re-asks), rebuilt from the prompts frozen with the job, on every run
 * (resume too). Loaded only for data jobs: the checkers pull in ajv.
 */
async function dataJobReview(options: RunConfiguredJobOptions): Promise<DataJobReview> {
  const [{ createDataReview, indexDataJob }, prompts] = await Promise.all([
    import('./data-review.ts'),
    loadPromptSnapshot(options.workspace, options.jobId),
  ]);
  const index = await indexDataJob(prompts, join(jobDirPath(options.workspace, options.jobId), MANIFEST_ROWS_FILE));
  return { review: createDataReview(prompts, index), prompts };
}

/**
 * A data job's admission by need over its row groups (docs/decisions/0024), from the manifest's rows and the run's
 * `groups:` config; undefined without groups. Built anew by every run: its counts are learned from the store.
 */
async function groupAdmission(options: RunConfiguredJobOptions): Promise<GroupAdmission | undefined> {
  const { groups } = options.config;
  if (groups === undefined || options.config.data?.group_by === undefined) return undefined;
  return readGroupAdmission(
    groups,
    readManifestRows(join(jobDirPath(options.workspace, options.jobId), MANIFEST_ROWS_FILE)),
  );
}

/** What a run is given besides its options: hooks into its life, the hold of its sending, a data job's prompts. */
interface RunAround {
  /** The run has started: the join-back thread may read the store. */
  onStarted?: (() => void) | undefined;
  /** Holds the realtime run's sending while a sink is down. */
  hold?: SendHold | undefined;
  /** The job is finalized, its lease still held: the join-back runs here. */
  beforeRelease?: ((result: RunJobResult) => Promise<void>) | undefined;
  /** A data job's frozen prompts: a run in slices puts them in the shared store for its workers. */
  prompts?: PromptSet | undefined;
}

async function runEngine(
  options: RunConfiguredJobOptions,
  review: AnswerReview | undefined,
  baseUrl: string | undefined,
  around: RunAround,
): Promise<RunJobResult> {
  const { onStarted, hold, beforeRelease } = around;
  const { config } = options;
  const workDir = jobDirPath(options.workspace, options.jobId);
  // A shared store: the job's work goes to every worker of the store, this process one of them (0031, 0034, 0035).
  const shared = isSharedStore(options.store) && !config.simulate ? options.store : undefined;
  const staleMs = (options.leaseS ?? DEFAULT_SLICE_LEASE_S) * 1000;
  if (config.provider !== 'command' && baseUrl !== undefined) {
    await checkEndpoint({ ...options, baseUrl, shown: config.simulate ? baseUrl : (config.base_url ?? baseUrl) });
  }
  const admission = review === undefined ? undefined : await groupAdmission(options);
  const groups =
    admission === undefined ? {} : { admission, reportGroups: () => toGroupReportLines(admission.figures()) };
  if (config.mode === 'batch') {
    if (baseUrl === undefined) throw new Error('base_url is validated by the config layer');
    const provider = await openBatchProvider(config, baseUrl);
    try {
      const settings = toBatchSettings(config);
      // A batch-mode data job (and so one with groups) stays in this process: see decision 0034.
      if (shared !== undefined && review === undefined) {
        return await runSharedBatchJob({
          jobId: options.jobId,
          store: shared,
          provider,
          settings,
          workDir,
          noWork: options.noWork,
          staleMs,
          logger: options.logger,
          signal: options.signal,
          reopenFailed: options.reopenFailed ?? false,
          beforeRelease,
          ...(options.onBatchProgress === undefined ? {} : { onProgress: options.onBatchProgress }),
          ...(options.onNotice === undefined ? {} : { onNotice: options.onNotice }),
        });
      }
      return await runBatchJob({
        jobId: options.jobId,
        store: options.store,
        provider,
        settings,
        workDir,
        logger: options.logger,
        signal: options.signal,
        reopenFailed: options.reopenFailed ?? false,
        review,
        beforeRelease,
        ...groups,
        ...(options.onBatchProgress === undefined ? {} : { onProgress: options.onBatchProgress }),
        ...(options.onNotice === undefined ? {} : { onNotice: options.onNotice }),
      });
    } finally {
      await provider.close();
    }
  }
  const provider = openRealtimeProvider({
    config,
    baseUrl,
    workDir,
    env: options.env ?? process.env,
    sharedConnections: options.sharedConnections,
  });
  try {
    // Admission by need over groups stays here: it counts every answer as it settles (docs/decisions/0035).
    if (shared !== undefined && admission === undefined) {
      if (around.prompts !== undefined) {
        const { shareDataJobFiles } = await import('./shared-data-job.ts');
        await shareDataJobFiles(shared, options.workspace, options.jobId, around.prompts);
      }
      return await runSharedJob({
        review,
        jobId: options.jobId,
        store: shared,
        provider,
        settings: toRunSettings(config),
        sliceItems: SLICE_ITEMS,
        noWork: options.noWork,
        staleMs,
        logger: options.logger,
        signal: options.signal,
        reopenFailed: options.reopenFailed ?? false,
        onStarted,
        beforeRelease,
        onNotice: options.onNotice,
        ...(options.onRealtimeProgress === undefined ? {} : { onProgress: options.onRealtimeProgress }),
      });
    }
    return await runJob({
      jobId: options.jobId,
      store: options.store,
      provider,
      settings: toRunSettings(config),
      logger: options.logger,
      signal: options.signal,
      reopenFailed: options.reopenFailed ?? false,
      slots: options.slots,
      commits: options.commits,
      review,
      onStarted,
      hold,
      beforeRelease,
      ...groups,
      ...(options.onRealtimeProgress === undefined ? {} : { onProgress: options.onRealtimeProgress }),
    });
  } finally {
    await provider.close();
  }
}

/**
 * The endpoint is asked once before the job sends anything (see `probeEndpoint`): one that cannot serve the job
 * stops the run here with `ENDPOINT_UNREACHABLE` (exit 2), before any item is touched, so `resume` carries on once
 * `base_url` is fixed or the server is back.
 */
async function checkEndpoint(options: RunConfiguredJobOptions & { baseUrl: string; shown: string }): Promise<void> {
  const { config } = options;
  if (config.provider === 'command') return;
  // Cancelling needs no endpoint in realtime, and in batch mode must not be refused for one that is gone.
  if ((await options.store.getJob(options.jobId))?.cancelRequestedAt != null) return;
  // One started before the job was created stands for this one (none when the run targets the built-in simulator).
  const early = config.simulate ? undefined : options.endpointProbe;
  const asked = (): Promise<EndpointProbe | undefined> => probeJobEndpoint(config, options.baseUrl, options.signal);
  const probe = await untilStopped(
    early === undefined ? asked() : early.then((found) => found ?? asked()),
    options.signal,
  );
  // A stop asked for meanwhile is the engine's to honour (interrupted), not an endpoint fault.
  if (probe === undefined || probe.ok || options.signal.aborted) return;
  options.logger.error({ url: withoutCredentials(probe.url), failure: probe.failure }, LOG_EVENT.probeFail);
  throw new EndpointError(
    'ENDPOINT_UNREACHABLE',
    `base_url ${withoutCredentials(options.shown)} cannot serve this job: ${withoutCredentials(probe.url)}: ${probe.failure}. Nothing was sent; fix base_url (or start the server) and run "batchpilot resume ${options.jobId}"`,
    { context: { key: 'base_url', jobId: options.jobId } },
  );
}

/** `probe`'s answer, or undefined as soon as `signal` stops the run (a probe started early does not listen to it). */
async function untilStopped(
  probe: Promise<EndpointProbe | undefined>,
  signal: AbortSignal,
): Promise<EndpointProbe | undefined> {
  if (signal.aborted) return undefined;
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<undefined>((resolve) => {
    onAbort = () => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([probe, stopped]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  }
}

export interface RunConfiguredJobOptions {
  store: Store;
  workspace: string;
  /** The PostgreSQL URL `store` was opened with (undefined: the workspace's SQLite store), for the join-back thread. */
  storeUrl?: string | undefined;
  jobId: string;
  config: ResolvedConfig;
  /** The endpoint's probe, started before the job was created (`startEndpointProbe`); asked here when absent. */
  endpointProbe?: Promise<EndpointProbe | undefined> | undefined;
  logger: Logger;
  signal: AbortSignal;
  reopenFailed?: boolean;
  /** Where command targets' `env` variables are read from. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** Realtime jobs under the scheduler share its request budget. */
  slots?: RequestSlots | undefined;
  /** Realtime jobs under the scheduler also share its keep-alive connections and group commit. */
  sharedConnections?: HttpConnections;
  commits?: CommitQueue;
  onRealtimeProgress?: (progress: JobProgress) => void;
  onBatchProgress?: (progress: BatchProgress) => void;
  /** Told what the provider could not send as asked (batch mode); the job log has it too. */
  onNotice?: (message: string) => void;
  /** Told the built-in simulator's URL when `--simulate` started one. */
  onSimulator?: (baseUrl: string) => void;
  /** `run --no-work` with a shared store: this process submits and waits; workers elsewhere send. */
  noWork?: boolean | undefined;
  /** `run --lease-s` with a shared store: how long a slice's holder may be silent before this process takes it. */
  leaseS?: number | undefined;
}

/**
 * Items per slice of a job in a shared store (docs/decisions/0031): a few hundred keeps the queue small while
 * millions of items wait in the store, and a slice taken over from a lost worker small.
 */
const SLICE_ITEMS = 250;
