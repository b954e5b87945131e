import type { RunOutcome } from '../../engine/run-outcome.ts';
import type { IntegrationReport } from '../../output/integration-report.ts';
import type { ConfiguredJobRun } from '../run-configured-job.ts';
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
  /**
   * A data job that reached its end (`data` and `prompts`): its join-back, written to `report.files.enriched`. A
   * prompt below `integrate.min_coverage` is named in `report.short_of_coverage` (the CLI exits 3 for it; the
   * library returns it and throws nothing). Absent for a job of request lines and for a data job that stopped.
   */
  integration?: { report: IntegrationReport; summary: string[] };
}

/** The library's view of an engine result. */
export function toJobResult(result: ConfiguredJobRun): JobResult {
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
    ...(result.integration === undefined
      ? {}
      : { integration: { report: result.integration.report, summary: result.integration.summary } }),
  };
}
