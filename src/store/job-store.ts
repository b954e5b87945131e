import type { InputFingerprint, Job, JobConfig, JobData } from '../core/job.ts';
import type { JobState } from '../core/states.ts';

/**
 * The jobs role of the store: a job's row (state, config, input fingerprint, timings) and the
 * cancel request `cancel JOB` leaves for whoever runs it.
 */
export interface JobStore {
  /** Create a job in state `created` with an empty reader cursor and no lease. */
  createJob(job: NewJob): Promise<Job>;
  getJob(jobId: string): Promise<Job | undefined>;
  /** Every job, oldest first (creation time, then id). */
  listJobs(): Promise<Job[]>;
  /**
   * Move the job to `state` (checked against the job lifecycle of core/states.ts: an illegal move throws and
   * changes nothing), adding `activeMsDelta` to its active time and setting `finishedAt` when given.
   */
  setJobState(
    jobId: string,
    state: JobState,
    patch?: { activeMsDelta?: number; finishedAt?: number | null },
  ): Promise<void>;
  /** Record the input's mtime after resume checked the whole file again: the next resume is quick again. */
  setInputMtime(jobId: string, mtimeMs: number): Promise<void>;
  /** Replace the stored (secret-free) config, e.g. when `resume` overrides concurrency. */
  setJobConfig(jobId: string, config: JobConfig): Promise<void>;
  /** Replace a data job's own record (`Job.data`); `JOB_NOT_FOUND` for an unknown job. */
  setJobData(jobId: string, data: JobData): Promise<void>;
  /**
   * Ask whoever runs the job to cancel it (batch mode: the remote batches too). The first request's time is
   * kept; `JOB_NOT_FOUND` for an unknown job.
   */
  requestCancel(jobId: string, now: number): Promise<void>;
  clearCancelRequest(jobId: string): Promise<void>;
}

export interface NewJob {
  id: string;
  inputPath: string;
  inputFingerprint: InputFingerprint;
  config: JobConfig;
  outDir: string;
  now: number;
  /** A data job's own record, written with the job so no run ever sees a data job without it. */
  data?: JobData;
}
