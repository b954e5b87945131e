import type { ConfigFlags } from '../config/config-flags.ts';
import type { ResolvedConfig } from '../config/config-schema.ts';
import { fromStoredConfig } from '../config/load-config.ts';
import type { Job } from '../core/job.ts';
import { assertWithinCaps, type Approvals } from '../plan/check-safety-caps.ts';
import { stat } from 'node:fs/promises';
import { StoreError } from '../errors/index.ts';
import { jobNotFound } from '../store/require-job.ts';
import { jobDirPath } from './job-paths.ts';
import type { Store } from '../store/store.ts';

export interface PrepareResumeOptions {
  store: Store;
  jobId: string;
  /** Where the key is read from now (`$api_key_env`). */
  env: Readonly<Record<string, string | undefined>>;
  /** Flags given now, over the stored config (e.g. a lower concurrency). */
  flags: ConfigFlags;
  /** A concurrency raised over limits.concurrency needs its approval. */
  approvals: Approvals;
  /** The workspace: a job folder without a job in the store gets a message saying how to carry on. */
  workspace?: string;
}

export interface PreparedResume {
  /** The job as it was before this run (its state is what it stopped in). */
  job: Job;
  config: ResolvedConfig;
  /** One line each, secrets masked. */
  warnings: string[];
}

/**
 * What carrying a job on needs, for `resume`/`retry`, `run --job` and the library's `resumeJob`: the config it was
 * created with (flags given now win), checked against the caps again; a cancel asked for earlier no longer holds.
 */
/**
 * JOB_NOT_FOUND for a job that is not in the store. When its folder exists, a `run` was stopped after it started
 * writing there (copying a streamed input, preparing a data job's requests) and before it created the job: nothing
 * was sent, and the same `run ... --job ID` carries on from the start.
 */
async function notCreated(options: PrepareResumeOptions): Promise<Error> {
  const folder = options.workspace === undefined ? undefined : jobDirPath(options.workspace, options.jobId);
  if (folder === undefined || !(await isDirectory(folder))) return jobNotFound(options.jobId);
  return new StoreError(
    'JOB_NOT_FOUND',
    `no job ${options.jobId} in this workspace, but ${folder} exists: a run was stopped before it created the job (while copying its input or preparing its data rows), so nothing was sent; run the same "batchpilot run ... --job ${options.jobId}" again`,
    { context: { jobId: options.jobId, file: folder } },
  );
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

export async function prepareResume(options: PrepareResumeOptions): Promise<PreparedResume> {
  const job = await options.store.getJob(options.jobId);
  if (job === undefined) throw await notCreated(options);
  const { config, warnings } = await fromStoredConfig(job.config, { env: options.env, flags: options.flags });
  assertWithinCaps(config, {}, options.approvals);
  // Resuming a cancelled job means carrying on: the earlier cancel request no longer holds.
  await options.store.clearCancelRequest(job.id);
  return { job, config, warnings };
}
