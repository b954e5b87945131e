import type { Job } from '../core/job.ts';
import type { ProviderError } from '../errors/index.ts';
import type { JobReport } from '../output/build-report.ts';

/**
 * How a run of a job ended, whatever its mode. `unreachable`: the endpoint could not be reached for
 * `outage.max_wait_s`; the job stopped as interrupted.
 */
export type RunOutcome = 'completed' | 'interrupted' | 'auth_failed' | 'cancelled' | 'budget' | 'unreachable';

/** The job state each way a run can end leaves behind. */
export const FINAL_STATES = {
  completed: 'completed',
  interrupted: 'interrupted',
  auth_failed: 'failed',
  cancelled: 'cancelled',
  // The budget is a planned end: the job is complete, with what it could not afford missing (reason `budget`).
  budget: 'completed',
  unreachable: 'interrupted',
} as const satisfies Record<RunOutcome, string>;

export interface RunJobResult {
  outcome: RunOutcome;
  job: Job;
  report: JobReport;
  /** The 401/403 that stopped the job (`auth_failed`), or the last failure to reach the endpoint (`unreachable`). */
  fatal?: ProviderError;
  /** How long the endpoint had been unreachable when the job stopped (`unreachable`), in ms. */
  outageMs?: number;
}
