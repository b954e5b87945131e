import type { ConfigFlags } from '../config/config-flags.ts';
import type { ResolvedConfig } from '../config/config-schema.ts';
import { fromStoredConfig } from '../config/load-config.ts';
import type { Job } from '../core/job.ts';
import { assertWithinCaps, type Approvals } from '../plan/check-safety-caps.ts';
import { requireJob } from '../store/require-job.ts';
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
export async function prepareResume(options: PrepareResumeOptions): Promise<PreparedResume> {
  const job = await requireJob(options.store, options.jobId);
  const { config, warnings } = await fromStoredConfig(job.config, { env: options.env, flags: options.flags });
  assertWithinCaps(config, {}, options.approvals);
  // Resuming a cancelled job means carrying on: the earlier cancel request no longer holds.
  await options.store.clearCancelRequest(job.id);
  return { job, config, warnings };
}
