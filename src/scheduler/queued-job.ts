import type { Job } from '../core/job.ts';
import { ENDED_JOB_STATES } from '../core/states.ts';
import type { QueueEntry } from '../store/scheduler-store.ts';

/**
 * Whether a queued job needs no more running: it ended (completed, failed, cancelled) after
 * its latest submission, whoever ran it. A job stopped with the scheduler or left `running`
 * by a dead one has not ended, and a job submitted again after it ended runs again.
 */
export function hasEndedSinceSubmitted(job: Job, entry: QueueEntry): boolean {
  return ENDED_JOB_STATES.has(job.state) && job.finishedAt !== null && job.finishedAt >= entry.submittedAt;
}
