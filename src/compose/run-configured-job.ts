import { jobDirPath } from './job-paths.ts';
import type { ResolvedConfig } from '../config/config-schema.ts';
import type { BatchProgress } from '../engine/batch/run-batch-job.ts';
import { runBatchJob } from '../engine/batch/run-batch-job.ts';
import { runJob, type JobProgress, type RunJobResult } from '../engine/run-job.ts';
import type { CommitQueue } from '../engine/commit-queue.ts';
import type { RequestSlots } from '../engine/slot-pool.ts';
import { createBatchProvider, createRealtimeProvider } from '../providers/create-provider.ts';
import type { HttpConnections } from '../providers/http-connections.ts';
import type { SimulatorHandle } from '../simulator/index.ts';
import type { Store } from '../store/store.ts';
import type { Logger } from '../util/logger.ts';
import { toBatchSettings, toRunSettings } from './job-settings.ts';
import { startQuickstartSimulator } from './quickstart-simulator.ts';

/**
 * The one composition of a run, for the foreground (`execute-job.ts`) and the scheduler:
 * the optional in-process simulator, the provider the config names (realtime or batch), and
 * the matching engine. Printing and exit codes stay with the callers.
 */
export async function runConfiguredJob(options: RunConfiguredJobOptions): Promise<RunJobResult> {
  const { config } = options;
  let simulator: SimulatorHandle | undefined;
  try {
    let baseUrl = config.base_url;
    if (config.simulate) {
      simulator = await startQuickstartSimulator();
      baseUrl = simulator.baseUrl;
      options.onSimulator?.(simulator.baseUrl);
    }
    const workDir = jobDirPath(options.workspace, options.jobId);
    if (config.mode === 'batch') {
      if (baseUrl === undefined) throw new Error('base_url is validated by the config layer');
      const provider = await createBatchProvider({
        provider: config.provider,
        baseUrl,
        apiKey: config.apiKey,
        dialect: config.batch.dialect,
        completionWindow: config.batch.completion_window,
        timeoutMs: config.timeout_ms,
        maxResponseBytes: config.max_response_bytes,
      });
      try {
        return await runBatchJob({
          jobId: options.jobId,
          store: options.store,
          provider,
          settings: toBatchSettings(config),
          workDir,
          logger: options.logger,
          signal: options.signal,
          reopenFailed: options.reopenFailed ?? false,
          ...(options.onBatchProgress === undefined ? {} : { onProgress: options.onBatchProgress }),
          ...(options.onNotice === undefined ? {} : { onNotice: options.onNotice }),
        });
      } finally {
        await provider.close();
      }
    }
    const provider = createRealtimeProvider({
      provider: config.provider,
      baseUrl,
      apiKey: config.apiKey,
      concurrency: config.concurrency,
      workDir,
      commandTargets: config.command.targets,
      sharedConnections: options.sharedConnections,
      maxResponseBytes: config.max_response_bytes,
      idleTimeoutMs: config.idle_timeout_ms,
    });
    try {
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
        ...(options.onRealtimeProgress === undefined ? {} : { onProgress: options.onRealtimeProgress }),
      });
    } finally {
      await provider.close();
    }
  } finally {
    await simulator?.close();
  }
}

export interface RunConfiguredJobOptions {
  store: Store;
  workspace: string;
  jobId: string;
  config: ResolvedConfig;
  logger: Logger;
  signal: AbortSignal;
  reopenFailed?: boolean;
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
}
