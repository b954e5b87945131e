import { exitCodeFor } from '../errors/index.ts';
import type { JobReport } from '../output/build-report.ts';

/**
 * The exit code a finished run of a job means for a script (README, exit codes): 0 when every
 * item taken succeeded, 3 when some failed or are missing, 130 when interrupted. Items left out
 * on purpose by `--limit` are not missing work: a trial run whose taken items all succeeded
 * exits 0, and the report still counts what was left out (`left_out_by_limit`).
 */
export function jobExitCode(outcome: string, report: Pick<JobReport, 'counts' | 'missing_by_reason'>): number {
  if (outcome === 'interrupted') return exitCodeFor('INTERRUPTED');
  if (outcome === 'cancelled') return exitCodeFor('ITEMS_UNFINISHED');
  const leftOut = report.missing_by_reason['limit'] ?? 0;
  const { failed, missing } = report.counts;
  return failed === 0 && missing - leftOut === 0 ? 0 : exitCodeFor('ITEMS_UNFINISHED');
}

/**
 * The same, for a job read back from the store (`wait JOB`): `failed` is how a 401/403 ends a job
 * (exit 2, as `AUTH_FAILED`); a job that is not running and has not ended (interrupted, never
 * started) exits 130, as an interrupted foreground run does. `missing` counts no item left out
 * by `--limit` (the store keeps those apart).
 */
export function storedJobExitCode(state: string, counts: { failed: number; missing: number }): number {
  if (state === 'completed') return counts.failed === 0 && counts.missing === 0 ? 0 : exitCodeFor('ITEMS_UNFINISHED');
  if (state === 'failed') return exitCodeFor('AUTH_FAILED');
  if (state === 'cancelled') return exitCodeFor('ITEMS_UNFINISHED');
  return exitCodeFor('INTERRUPTED');
}
