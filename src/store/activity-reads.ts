import type { JobCounts } from '../core/job.ts';

/**
 * The reads `status`, `monitor` and the report make of a running or ended job. Each is
 * answered beside a running writer and never blocks it.
 */
export interface ActivityReads {
  /** Items by state: `pending` counts in-flight items too. */
  counts(jobId: string): Promise<JobCounts>;
  attemptStats(jobId: string): Promise<AttemptStats>;
  /** Items finished since `sinceMs`, and when the last one finished: the rate and liveness `status` shows. */
  activity(jobId: string, sinceMs: number): Promise<JobActivity>;
  /** The latest failed attempts, newest first (at most `limit`), for `monitor`. */
  recentFailures(jobId: string, limit: number): Promise<RecentFailure[]>;
  /** What the checks of a job's answers said and what its re-asks cost (docs/decisions/0019), for the report. */
  reviewStats(jobId: string): Promise<ReviewStats>;
}

export interface ReviewStats {
  /** Answered items by the status of their last answer's check; items never checked are not counted. */
  byStatus: Record<string, number>;
  /** Answered items whose last check is valid or repaired, by the re-asks it took: index N, after N re-asks. */
  validAfterReasks: number[];
  /** Attempts that sent a re-ask, and the tokens they were billed. */
  reaskAttempts: number;
  reaskInputTokens: number;
  reaskOutputTokens: number;
}

export interface AttemptStats {
  attempts: number;
  /** Failed attempts by cause (`http_429`, `timeout`, ...). */
  failuresByCause: Record<string, number>;
  /** Failed attempts that another attempt of the same item followed, by cause. */
  retriesByCause: Record<string, number>;
  inputTokens: number;
  outputTokens: number;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
}

export interface JobActivity {
  finishedSince: number;
  lastFinishedAt: number | null;
}

export interface RecentFailure {
  customId: string;
  attempt: number;
  /** `http_500`, `timeout`, ... */
  cause: string;
  statusCode: number | null;
  at: number;
}
