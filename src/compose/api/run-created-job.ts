import type { ResolvedConfig } from '../../config/config-schema.ts';
import type { Store } from '../../store/store.ts';
import { runStoredJob } from '../run-stored-job.ts';
import { toBatchProgress, toRealtimeProgress } from '../run-progress.ts';
import { toJobResult, type JobResult } from './job-result.ts';
import type { RunControlOptions } from './run-options.ts';

export interface RunCreatedJobOptions extends RunControlOptions {
  store: Store;
  workspace: string;
  /** The PostgreSQL URL `store` was opened with, for the run's join-back thread. */
  storeUrl?: string | undefined;
  jobId: string;
  config: ResolvedConfig;
  reopenFailed?: boolean;
}

/**
 * Runs a job that is in the store to its end for the library: the same run as the CLI's foreground one, with the
 * caller's signal and progress callback, nothing printed, and a stop (`AUTH_FAILED`, `ENDPOINT_UNREACHABLE`) thrown.
 */
export async function runCreatedJob(options: RunCreatedJobOptions): Promise<JobResult> {
  const { onProgress } = options;
  const { result, stopError } = await runStoredJob({
    store: options.store,
    workspace: options.workspace,
    storeUrl: options.storeUrl,
    jobId: options.jobId,
    config: options.config,
    signal: options.signal ?? new AbortController().signal,
    reopenFailed: options.reopenFailed ?? false,
    env: options.env ?? process.env,
    ...(onProgress === undefined
      ? {}
      : {
          onRealtimeProgress: (progress) => onProgress(toRealtimeProgress(progress)),
          onBatchProgress: (progress) => onProgress(toBatchProgress(progress)),
        }),
  });
  if (stopError !== undefined) throw stopError;
  return toJobResult(result);
}
