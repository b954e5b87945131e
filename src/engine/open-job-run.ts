import type { Job, JobCounts } from '../core/job.ts';
import type { ActivityReads, ItemStore, JobStore, LeaseStore } from '../store/store.ts';
import type { Clock } from '../util/clock.ts';
import { holdLease, type HeldLease } from './lease.ts';
import { requireJob } from '../store/require-job.ts';
import { checkInput } from './check-input.ts';

/**
 * What every run of a job starts with, whatever its mode: the job exists, its input file is
 * the one it was created from, and this process holds its lease.
 */
export async function openJobRun(
  store: JobStore & LeaseStore & ItemStore,
  jobId: string,
  clock: Clock,
): Promise<{ job: Job; lease: HeldLease }> {
  const job = await requireJob(store, jobId);
  await checkInput(store, job);
  return { job, lease: await holdLease(store, job.id, clock) };
}

export interface StartedRun {
  /** Item counts once reopened items are pending again: what earlier runs finished. */
  earlier: JobCounts;
  /** A completed job with nothing to send: the run only rewrites its files and it stays `completed`. */
  rewriteOnly: boolean;
}

/**
 * Reopens what this run sends again (failed items for `retry JOB`; items a previous run left
 * cancelled, except those over the limit) and marks the job running, unless it is a completed
 * job with nothing left to send.
 */
export async function startRun(
  store: JobStore & ItemStore & ActivityReads,
  job: Job,
  reopenFailed: boolean,
): Promise<StartedRun> {
  if (reopenFailed) await store.reopenItems(job.id, 'failed');
  await store.reopenItems(job.id, 'cancelled');
  const earlier = await store.counts(job.id);
  const rewriteOnly = job.state === 'completed' && job.cursor.done && earlier.pending + earlier.retryWait === 0;
  if (!rewriteOnly) await store.setJobState(job.id, 'running', { finishedAt: null });
  return { earlier, rewriteOnly };
}
