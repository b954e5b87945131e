import type { Job } from '../core/job.ts';
import { StoreError } from '../errors/index.ts';
import type { JobStore } from './job-store.ts';

/** `JOB_NOT_FOUND` for `jobId`, naming where it was looked for (`this workspace`, or its folder) and how to list jobs. */
export function jobNotFound(jobId: string, where = 'this workspace'): StoreError {
  return new StoreError('JOB_NOT_FOUND', `no job ${jobId} in ${where}; run "batchpilot list" to see jobs`, {
    context: { jobId },
  });
}

/** The job, or `JOB_NOT_FOUND` (see `jobNotFound`). */
export async function requireJob(store: Pick<JobStore, 'getJob'>, jobId: string, where?: string): Promise<Job> {
  const job = await store.getJob(jobId);
  if (job === undefined) throw jobNotFound(jobId, where);
  return job;
}
