import { BatchpilotError } from '../errors/index.ts';
import type { GroupReportLine, JobReport } from '../output/build-report.ts';

/**
 * The error a completed data job with a `short` group means (exit 3, `GROUP_TARGET_SHORT`): which groups ran out of
 * rows below their target, and by how much; undefined when none did (docs/decisions/0024).
 */
export function groupShortfallError(report: Pick<JobReport, 'job_id' | 'groups'>): BatchpilotError | undefined {
  const short = (report.groups ?? []).filter((line) => line.state === 'short');
  if (short.length === 0) return undefined;
  const groups = short
    .map(
      (line) =>
        `${line.group} ${String(line.valid + line.already)} of ${String(line.target)} (${String(line.shortfall)} short)`,
    )
    .join(', ');
  return new BatchpilotError(
    'GROUP_TARGET_SHORT',
    `groups ran out of rows below their target: ${groups}; add rows to the data and run it again as a new job, or lower groups.targets`,
    { context: { jobId: report.job_id, key: 'groups.targets' } },
  );
}

/** One line per group for the end of a run: `group korean: 150 valid of 150 (64 already) reached, 12 rows skipped`. */
export function describeGroups(lines: readonly GroupReportLine[]): string[] {
  return lines.map((line) => {
    const target = line.target === 0 ? 'no target' : `of ${String(line.target)}`;
    const already = line.already === 0 ? '' : ` (${String(line.already)} already)`;
    const have = line.valid + line.already;
    const skipped = line.skipped_rows === 0 ? '' : `, ${String(line.skipped_rows)} rows skipped (target reached)`;
    const short = line.state === 'short' ? `, ${String(line.shortfall)} short` : '';
    return `group ${line.group === '' ? '(none)' : line.group}: ${String(have)} valid ${target}${already} ${line.state}${short}${skipped}`;
  });
}
