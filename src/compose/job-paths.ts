import { join } from 'node:path';

/** A job's own folder in the workspace: its log, chunk files, command task files, and by default its result files. */
export function jobDirPath(workspace: string, jobId: string): string {
  return join(workspace, 'jobs', jobId);
}

/** A job's log, whoever runs it (the foreground CLI or the scheduler). */
export function jobLogPath(workspace: string, jobId: string): string {
  return join(jobDirPath(workspace, jobId), 'job.log');
}
