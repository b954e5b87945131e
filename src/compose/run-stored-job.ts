import { toStorageFault, type BatchpilotError } from '../errors/index.ts';
import { storePathOf } from '../store/create-store.ts';
import { createLogger } from '../util/logger.ts';
import { jobLogPath } from './job-paths.ts';
import { jobStopError } from './job-stop-error.ts';
import { runConfiguredJob, type ConfiguredJobRun, type RunConfiguredJobOptions } from './run-configured-job.ts';

export type RunStoredJobOptions = Omit<RunConfiguredJobOptions, 'logger'>;

export interface StoredJobRun {
  result: ConfiguredJobRun;
  /** `AUTH_FAILED` or `ENDPOINT_UNREACHABLE` when the run stopped for one (see `jobStopError`). */
  stopError: BatchpilotError | undefined;
}

/**
 * Runs a created (or resumed) job in this process, for the foreground CLI and the library: logging to the job's own
 * log, a full disk or damaged store as its typed error (`DISK_FULL`, `STORE_CORRUPT`), and the error a stop means.
 * Writes nothing to stdout or stderr; signals, rendering and exit codes are the caller's.
 */
export async function runStoredJob(options: RunStoredJobOptions): Promise<StoredJobRun> {
  const logger = createLogger({ file: jobLogPath(options.workspace, options.jobId) });
  let result: ConfiguredJobRun;
  try {
    result = await runConfiguredJob({ ...options, logger });
  } catch (error) {
    throw toStorageFault(error, { storePath: storePathOf(options.workspace), jobId: options.jobId }) ?? error;
  }
  return { result, stopError: jobStopError(result, options.config, options.jobId) };
}
