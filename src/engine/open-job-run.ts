import type { Job } from '../core/job.ts';
import { assertSameInput } from '../input/fingerprint-input.ts';
import type { Store } from '../store/store.ts';
import type { Clock } from '../util/clock.ts';
import { holdLease, type HeldLease } from './lease.ts';
import { requireJob } from '../store/require-job.ts';

/**
 * What every run of a job starts with, whatever its mode: the job exists, its input file is
 * the one it was created from, and this process holds its lease.
 */
export async function openJobRun(store: Store, jobId: string, clock: Clock): Promise<{ job: Job; lease: HeldLease }> {
  const job = await requireJob(store, jobId);
  await assertSameInput(job.inputPath, job.inputFingerprint, { jobId: job.id });
  return { job, lease: await holdLease(store, job.id, clock) };
}
