import type { Job } from '../core/job.ts';
import { ENDED_JOB_STATES } from '../core/states.ts';
import { isLeaseLive } from '../engine/lease.ts';
import { hasEndedSinceSubmitted } from '../scheduler/queued-job.ts';
import { readLiveScheduler } from '../scheduler/start-scheduler.ts';
import type { SchedulerStore } from '../store/scheduler-store.ts';
import type { JobStore } from '../store/store.ts';
import { requireJob } from '../store/require-job.ts';

/**
 * Where a job stands for someone watching it (`monitor`, `wait`):
 * - `running`: a live process holds its lease;
 * - `queued`: handed to the background scheduler, which lives (it may still be starting, or busy with
 *   other jobs): it will run, so a watcher waits;
 * - `ended`: completed, failed or cancelled, and not submitted again since;
 * - `stopped`: none of these: interrupted, never started, or queued with no scheduler alive to run it.
 */
export type JobPhase = 'running' | 'queued' | 'ended' | 'stopped';

export interface JobPhaseReading {
  job: Job;
  phase: JobPhase;
  /** The job waits in the queue of a scheduler that is not running. */
  queuedWithoutScheduler: boolean;
}

export async function readJobPhase(
  store: JobStore,
  schedulerStore: SchedulerStore,
  jobId: string,
  now: number,
): Promise<JobPhaseReading> {
  const job = await requireJob(store, jobId);
  if (isLeaseLive(job.lease, now)) return { job, phase: 'running', queuedWithoutScheduler: false };
  const entry = (await schedulerStore.listQueue()).find((queued) => queued.jobId === jobId);
  const waiting = entry !== undefined && !hasEndedSinceSubmitted(job, entry);
  if (waiting) {
    const scheduler = await readLiveScheduler(schedulerStore);
    if (scheduler !== undefined) return { job, phase: 'queued', queuedWithoutScheduler: false };
  }
  // Read again: the job may have ended between the two reads above.
  const latest = await requireJob(store, jobId);
  if (isLeaseLive(latest.lease, Date.now())) return { job: latest, phase: 'running', queuedWithoutScheduler: false };
  const ended = ENDED_JOB_STATES.has(latest.state) && (entry === undefined || hasEndedSinceSubmitted(latest, entry));
  return { job: latest, phase: ended ? 'ended' : 'stopped', queuedWithoutScheduler: waiting && !ended };
}
