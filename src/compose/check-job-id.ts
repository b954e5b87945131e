import { isValidJobId } from '../core/job-id.ts';
import { UsageError } from '../errors/index.ts';

/** A job id asked for (`--job`, `jobId`) is a folder name: `USAGE` unless it keeps to a safe alphabet. */
export function checkJobId(jobId: string): void {
  if (isValidJobId(jobId)) return;
  throw new UsageError('USAGE', `--job "${jobId}": use letters, digits, ".", "_" and "-" only`, {
    context: { flag: '--job' },
  });
}
