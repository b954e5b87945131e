import type { JobLease } from '../core/job.ts';

/**
 * The lease role of the store: which process runs a job. One holder at a time; a holder that
 * died (stale heartbeat, or its pid gone on this host) is taken over.
 */
export interface LeaseStore {
  /**
   * Take the job's lease. Refused with `StoreError` `JOB_LOCKED` while another live holder
   * heartbeats; a holder whose heartbeat is older than `staleMs` (measured against
   * `lease.heartbeatAt`), or whose pid is gone on this host, is taken over. The same token
   * takes it again.
   */
  acquireLease(jobId: string, lease: JobLease, staleMs: number): Promise<void>;
  /**
   * Refresh the lease. While the job is `running` or `finalizing`, the time since the previous
   * heartbeat (at most `maxStepMs`, so a suspended machine does not count) is added to the job's
   * active time: a run killed with -9 keeps all but its last heartbeat interval of it. A token
   * that no longer holds the lease changes nothing.
   */
  heartbeat(jobId: string, token: string, now: number, maxStepMs: number): Promise<void>;
  /** Give the lease up; a token that no longer holds it changes nothing. */
  releaseLease(jobId: string, token: string): Promise<void>;
}
