import { join } from 'node:path';
import { startQuickstartSimulator } from '../cli/quickstart-simulator.ts';
import { toBatchSettings, toRunSettings } from '../cli/job-settings.ts';
import { fromStoredConfig } from '../config/load-config.ts';
import type { ResolvedConfig } from '../config/config-schema.ts';
import { runBatchJob } from '../engine/batch/run-batch-job.ts';
import { runJob, type RunJobResult } from '../engine/run-job.ts';
import type { SlotPool } from '../engine/slot-pool.ts';
import { StoreError } from '../errors/index.ts';
import { createBatchProvider, createRealtimeProvider } from '../providers/create-provider.ts';
import type { SimulatorHandle } from '../simulator/index.ts';
import type { Store } from '../store/store.ts';
import { createLogger, type Logger } from '../util/logger.ts';
import { jobLogPath } from './scheduler-paths.ts';

export interface RunScheduledJobOptions {
  store: Store;
  workspace: string;
  jobId: string;
  /** The scheduler's environment plus what the job's `--detach` handed over: where the key is read from. */
  env: Readonly<Record<string, string | undefined>>;
  /** The workspace-wide request budget; realtime jobs join it for the length of the run. */
  pool: SlotPool;
  /** Aborted when the scheduler stops: the job stops as on Ctrl-C (in-flight requests finish, state committed). */
  signal: AbortSignal;
}

/**
 * Runs one detached job through the same engine as the foreground (`runJob`, `runBatchJob`),
 * with its provider built as `cli/execute-job.ts` builds it, its stored config, and its own
 * `job.log`. Nothing is printed: the scheduler logs the outcome.
 */
export async function runScheduledJob(options: RunScheduledJobOptions): Promise<RunJobResult> {
  const job = await options.store.getJob(options.jobId);
  if (job === undefined) {
    throw new StoreError('JOB_NOT_FOUND', `no job ${options.jobId} in this workspace`, {
      context: { jobId: options.jobId },
    });
  }
  const { config, warnings } = await fromStoredConfig(job.config, { env: options.env });
  const logger = createLogger({ file: jobLogPath(options.workspace, job.id) });
  for (const warning of warnings) logger.warn({ jobId: job.id }, warning);
  logger.info({ jobId: job.id, scheduler: process.pid }, 'scheduler-job-start');
  let simulator: SimulatorHandle | undefined;
  try {
    let baseUrl = config.base_url;
    if (config.simulate) {
      simulator = await startQuickstartSimulator();
      // The Anthropic SDK appends /v1 itself.
      baseUrl = config.provider === 'anthropic' ? simulator.url : simulator.baseUrl;
      logger.info({ baseUrl: simulator.baseUrl }, 'built-in-simulator');
    }
    if (baseUrl === undefined && config.provider === 'command') baseUrl = 'command:';
    if (baseUrl === undefined) throw new Error('base_url is validated by fromStoredConfig');
    return config.mode === 'batch'
      ? await runInBatchMode(options, config, baseUrl, logger)
      : await runInRealtimeMode(options, config, baseUrl, logger);
  } finally {
    await simulator?.close();
    logger.flush();
  }
}

async function runInRealtimeMode(
  options: RunScheduledJobOptions,
  config: ResolvedConfig,
  baseUrl: string,
  logger: Logger,
): Promise<RunJobResult> {
  const provider = createRealtimeProvider({
    provider: config.provider,
    baseUrl,
    apiKey: config.apiKey,
    concurrency: config.concurrency,
    workDir: join(options.workspace, 'jobs', options.jobId),
    commandTargets: config.command.targets,
  });
  const slots = options.pool.join(options.jobId);
  try {
    return await runJob({
      jobId: options.jobId,
      store: options.store,
      provider,
      settings: toRunSettings(config),
      logger,
      signal: options.signal,
      slots,
    });
  } finally {
    slots.leave();
    await provider.close();
  }
}

async function runInBatchMode(
  options: RunScheduledJobOptions,
  config: ResolvedConfig,
  baseUrl: string,
  logger: Logger,
): Promise<RunJobResult> {
  const provider = createBatchProvider({
    provider: config.provider,
    baseUrl,
    apiKey: config.apiKey,
    dialect: config.batch.dialect,
    completionWindow: config.batch.completion_window,
    timeoutMs: config.timeout_ms,
  });
  try {
    return await runBatchJob({
      jobId: options.jobId,
      store: options.store,
      provider,
      settings: toBatchSettings(config),
      workDir: join(options.workspace, 'jobs', options.jobId),
      logger,
      signal: options.signal,
    });
  } finally {
    await provider.close();
  }
}
