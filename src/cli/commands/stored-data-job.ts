import type { ResolvedConfig } from '../../config/config-schema.ts';
import { fromStoredConfig } from '../../config/load-config.ts';
import type { Job } from '../../core/job.ts';
import { isLeaseLive } from '../../engine/lease.ts';
import { StoreError } from '../../errors/index.ts';
import { requireJob } from '../../store/require-job.ts';
import type { Store } from '../../store/store.ts';

/**
 * A job as `validate JOB` and `integrate JOB` read it: its stored config (no key needed: they send nothing), and
 * refused (`JOB_LOCKED`) while a live process runs it, whose own join-back comes when it ends.
 */
export async function openStoredDataJob(
  store: Store,
  jobId: string,
  command: string,
): Promise<{ job: Job; config: ResolvedConfig }> {
  const job = await requireJob(store, jobId);
  if (isLeaseLive(job.lease, Date.now())) {
    throw new StoreError(
      'JOB_LOCKED',
      `job ${jobId} is being run by process ${String(job.lease?.pid ?? '?')}; it writes the enriched dataset when it ends, or run "batchpilot ${command} ${jobId}" after that`,
      { context: { jobId } },
    );
  }
  const { config, warnings } = await fromStoredConfig(job.config, { env: process.env, flags: {}, requireKey: false });
  for (const warning of warnings) process.stderr.write(`batchpilot: warning: ${warning}\n`);
  return { job, config };
}
