import { dirname, join } from 'node:path';
import { BatchpilotError } from '../errors/index.ts';
import { crashPoint } from '../util/crash-point.ts';
import {
  findCoverageShortfalls,
  formatIntegrationSummary,
  writeIntegrationReport,
  type CoverageShortfall,
  type IntegrationReport,
  type SinkReportEntry,
} from './integration-report.ts';
import { INTEGRATION_FILES } from './result-file-names.ts';
import { writeEnriched, type WriteEnrichedOptions } from './write-enriched.ts';

export interface IntegrateDataJobOptions extends Omit<WriteEnrichedOptions, 'rowsWithoutValidOut'> {
  /** The job folder: integration_report.json and rows_without_valid.txt go there. Default: the folder of `out`. */
  jobDir?: string;
  /** `integrate.min_coverage`, from 0 to 1. */
  minCoverage: number;
  /** Called once every row is written, before the report: the sinks' last batches, and their figures for it. */
  finishSinks?: (() => Promise<SinkReportEntry[]>) | undefined;
}

export interface IntegrateDataJobResult {
  report: IntegrationReport;
  /** The prompts below `minCoverage`: the job exits 3 (`COVERAGE_BELOW_MIN`) when there is one. */
  shortfalls: CoverageShortfall[];
  /** The terminal summary (formatIntegrationSummary). */
  summary: string[];
}

/**
 * Join-back in one call, for the end of a data job and `integrate JOB`: the enriched dataset, the keys of rows
 * without a valid answer and integration_report.json, each written atomically, the report last (it names the
 * others, so a report on disk always describes files that are there).
 */
export async function integrateDataJob(options: IntegrateDataJobOptions): Promise<IntegrateDataJobResult> {
  const folder = options.jobDir ?? dirname(options.out);
  const rowsWithoutValidFile = join(folder, INTEGRATION_FILES.rowsWithoutValid);
  const reportFile = join(folder, INTEGRATION_FILES.report);
  const { tally } = await writeEnriched({ ...options, rowsWithoutValidOut: rowsWithoutValidFile });
  const sinks = await options.finishSinks?.();
  const report = {
    ...tally.toReport({
      minCoverage: options.minCoverage,
      enrichedFile: options.out,
      reportFile,
      rowsWithoutValidFile,
    }),
    ...(sinks === undefined ? {} : { sinks }),
  };
  crashPoint('before-integration-report');
  await writeIntegrationReport(reportFile, report);
  return {
    report,
    // A job with groups is judged by its targets, not by coverage (docs/decisions/0024).
    shortfalls: report.groups === undefined ? findCoverageShortfalls(report, options.minCoverage) : [],
    summary: formatIntegrationSummary(report),
  };
}

/** The error a join-back below `integrate.min_coverage` means (exit 3), or undefined when every prompt reached it. */
export function coverageShortfallError(result: IntegrateDataJobResult, jobId: string): BatchpilotError | undefined {
  if (result.shortfalls.length === 0) return undefined;
  return new BatchpilotError(
    'COVERAGE_BELOW_MIN',
    describeCoverageShortfalls(result.shortfalls, result.report.min_coverage),
    { context: { jobId, key: 'integrate.min_coverage' } },
  );
}

/** The message of a job below `integrate.min_coverage`: which prompts, how far, and where to look. */
export function describeCoverageShortfalls(shortfalls: readonly CoverageShortfall[], minCoverage: number): string {
  const share = (value: number): string => `${(Math.floor(value * 10_000) / 100).toFixed(2)}%`;
  const prompts = shortfalls
    .map((short) => `${short.prompt} ${share(short.coverage)} (${String(short.covered)} of ${String(short.expected)})`)
    .join(', ');
  return (
    `valid answers below integrate.min_coverage ${share(minCoverage)}: ${prompts}; see integration_report.json ` +
    `(top_errors) and rows_without_valid.txt, then ask the invalid answers again ("batchpilot retry JOB --invalid"), ` +
    `retry failed items ("batchpilot retry JOB") or lower the threshold (--set integrate.min_coverage=0.9, or ` +
    `integrate: { min_coverage: 0.9 } in the config file)`
  );
}
