import { effectiveState, isLeaseLive } from '../engine/lease.ts';
import type { SchedulerStore } from '../store/scheduler-store.ts';
import type { JobStore } from '../store/store.ts';
import { hasEndedSinceSubmitted } from './queued-job.ts';
import { schedulerLogPath } from './scheduler-paths.ts';

/** `scheduler status --json`. */
export interface SchedulerStatus {
  running: boolean;
  pid: number | null;
  host: string | null;
  since: string | null;
  heartbeat_age_ms: number | null;
  stop_requested: boolean;
  /** What the running scheduler runs with: `max_jobs`, `max_concurrency`, `idle_exit_s`. */
  settings: Record<string, unknown> | null;
  log: string;
  jobs: { running: QueuedJobStatus[]; queued: QueuedJobStatus[] };
}

export interface QueuedJobStatus {
  job_id: string;
  /** As `status` shows it: a job left by a dead scheduler is `interrupted`. */
  state: string;
  submitted_at: string;
}

/**
 * The scheduler and its queue as the store has them. A job counts as running when the live
 * scheduler holds its lease; every other queued job that has not ended is queued (it starts
 * when a place is free, or when a scheduler starts again).
 */
export async function readSchedulerStatus(
  store: JobStore,
  schedulerStore: SchedulerStore,
  workspace: string,
  now: number,
): Promise<SchedulerStatus> {
  const lock = await schedulerStore.readLock();
  const live = lock !== undefined && isLeaseLive(lock, now) ? lock : undefined;
  const running: QueuedJobStatus[] = [];
  const queued: QueuedJobStatus[] = [];
  for (const entry of await schedulerStore.listQueue()) {
    const job = await store.getJob(entry.jobId);
    if (job === undefined || hasEndedSinceSubmitted(job, entry)) continue;
    const shown = {
      job_id: job.id,
      state: effectiveState(job, now),
      submitted_at: new Date(entry.submittedAt).toISOString(),
    };
    const runBy = job.lease !== null && isLeaseLive(job.lease, now) ? job.lease.pid : undefined;
    if (live !== undefined && runBy === live.pid) running.push(shown);
    else queued.push(shown);
  }
  return {
    running: live !== undefined,
    pid: live?.pid ?? null,
    host: live?.host ?? null,
    since: live === undefined ? null : new Date(live.startedAt).toISOString(),
    heartbeat_age_ms: live === undefined ? null : Math.max(0, now - live.heartbeatAt),
    stop_requested: live !== undefined && live.stopRequestedAt !== null,
    settings: live?.settings ?? null,
    log: schedulerLogPath(workspace),
    jobs: { running, queued },
  };
}
