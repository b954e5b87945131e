import { fromStoredConfig } from '../config/load-config.ts';
import type { RunJobResult } from '../engine/run-outcome.ts';
import { runConfiguredJob } from '../compose/run-configured-job.ts';
import type { CommitQueue } from '../engine/commit-queue.ts';
import type { SlotPool } from '../engine/slot-pool.ts';
import type { HttpConnections } from '../providers/http-connections.ts';
import type { Store } from '../store/store.ts';
import { createLogger } from '../util/logger.ts';
import { jobLogPath } from '../compose/job-paths.ts';
import { requireJob } from '../store/require-job.ts';
import { LOG_EVENT } from '../util/log-event.ts';

export interface RunScheduledJobOptions {
  store: Store;
  workspace: string;
  jobId: string;
  /** The scheduler's environment plus what the job's `--detach` handed over: where the key is read from. */
  env: Readonly<Record<string, string | undefined>>;
  /** The workspace-wide request budget; realtime jobs join it for the length of the run. */
  pool: SlotPool;
  /** The keep-alive connections all of the scheduler's realtime jobs send through. */
  connections: HttpConnections;
  /** The group commit all of the scheduler's realtime jobs commit through. */
  commits: CommitQueue;
  /** Aborted when the scheduler stops: the job stops as on Ctrl-C (in-flight requests finish, state committed). */
  signal: AbortSignal;
}

/**
 * Runs one detached job through the same engine as the foreground (`runJob`, `runBatchJob`),
 * composed by `runConfiguredJob` as the foreground's is, with its stored config and its own
 * `job.log`. Nothing is printed: the scheduler logs the outcome.
 */
export async function runScheduledJob(options: RunScheduledJobOptions): Promise<RunJobResult> {
  const job = await requireJob(options.store, options.jobId);
  const { config, warnings } = await fromStoredConfig(job.config, { env: options.env });
  const logger = createLogger({ file: jobLogPath(options.workspace, job.id) });
  for (const warning of warnings) logger.warn({ jobId: job.id, message: warning }, LOG_EVENT.configWarn);
  logger.info({ jobId: job.id, scheduler: process.pid }, LOG_EVENT.jobDequeue);
  const slots = config.mode === 'batch' ? undefined : options.pool.join(options.jobId);
  try {
    return await runConfiguredJob({
      store: options.store,
      workspace: options.workspace,
      jobId: job.id,
      config,
      logger,
      signal: options.signal,
      env: options.env,
      slots,
      sharedConnections: options.connections,
      commits: options.commits,
      onSimulator: (baseUrl) => logger.info({ baseUrl }, LOG_EVENT.simulatorStart),
    });
  } finally {
    slots?.leave();
    logger.flush();
  }
}
