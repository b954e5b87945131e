import type { RunJobResult, RunOutcome } from '../../engine/run-outcome.ts';
import type { JobReport } from '../../output/build-report.ts';
import { RESULT_FILES } from '../../output/result-file-names.ts';
import { join } from 'node:path';

/**
 * How a run ended. `completed`: every item reached its end (some may have failed: see `counts`); `interrupted`: the
 * `signal` stopped it, `resumeJob` carries it on; `cancelled`: `batchpilot cancel` (or a cancel request) stopped it;
 * `budget`: `limits.budget_usd` was reached. (A refused key or an endpoint gone too long is thrown instead, as
 * `AUTH_FAILED` / `ENDPOINT_UNREACHABLE`.)
 */
export type JobOutcome = RunOutcome;

/** Absolute paths of a job's result files (SPEC section 6); every valid item is in exactly one of the first three. */
export interface JobFiles {
  /** Answers of the items that succeeded, one JSON line each. */
  output: string;
  /** Items that failed for good, with their last error. */
  errors: string;
  /** Items that have no answer and no error yet (interrupted, cancelled, left out by `limit`). */
  missing: string;
  /** Input lines that are not valid requests, with the reason. */
  rejects: string;
  /** The run's report (counts, tokens, cost, latencies) as JSON. */
  report: string;
}

/** What `runJob` and `resumeJob` return once the run ended; the files are written. */
export interface JobResult {
  jobId: string;
  outcome: JobOutcome;
  /** Items of the whole job (earlier runs included): `total = succeeded + failed + missing`. */
  counts: JobReport['counts'];
  files: JobFiles;
  /** The cost at the price table's rate (US dollars); null when the model has no known price. */
  costUsd: number | null;
  /** The full report, as written to `files.report`. */
  report: JobReport;
}

/** The library's view of an engine result. */
export function toJobResult(result: RunJobResult): JobResult {
  const { report } = result;
  const outDir = result.job.outDir;
  return {
    jobId: report.job_id,
    outcome: result.outcome,
    counts: report.counts,
    files: {
      output: join(outDir, RESULT_FILES.output),
      errors: join(outDir, RESULT_FILES.errors),
      missing: join(outDir, RESULT_FILES.missing),
      rejects: join(outDir, RESULT_FILES.rejects),
      report: join(outDir, RESULT_FILES.report),
    },
    costUsd: report.cost?.usd ?? null,
    report,
  };
}
