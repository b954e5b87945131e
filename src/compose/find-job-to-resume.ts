import { join } from 'node:path';
import type { Job } from '../core/job.ts';
import { UsageError } from '../errors/index.ts';
import { SPOOLED_INPUT_NAME } from '../input/spool-input.ts';
import type { Store } from '../store/store.ts';
import { dataJobRecordOf } from './data-job-record.ts';
import { describeJobInput, type JobInput } from './job-input.ts';
import { jobDirPath } from './job-paths.ts';

export interface JobToResume {
  job: Job;
  /**
   * The job reads its own copy of a stream input; the stream given now is not read (it cannot be compared with the
   * first one), so the caller may say so.
   */
  keepsOwnCopy: boolean;
}

/**
 * `run --job ID` (and `runJob({ jobId })`) with an id that exists: the job is carried on when it was created from the
 * same input, and refused (`USAGE`, `--job`) otherwise. Undefined when no job has that id: create one.
 */
export async function findJobToResume(
  store: Store,
  workspace: string,
  jobId: string,
  input: JobInput,
): Promise<JobToResume | undefined> {
  const job = await store.getJob(jobId);
  if (job === undefined) return undefined;
  const record = dataJobRecordOf(job);
  if (record !== undefined) {
    // A data job reads its own prepared requests; what must match is the data file it was prepared from.
    const given = describeJobInput(input);
    if (given !== record.dataPath) {
      throw new UsageError(
        'USAGE',
        `job ${jobId} exists as a data job of ${record.dataPath}, not ${given}; pick another --job id or run "batchpilot resume ${jobId}"`,
        { context: { flag: '--job' } },
      );
    }
    return { job, keepsOwnCopy: false };
  }
  const ownCopy = join(jobDirPath(workspace, jobId), SPOOLED_INPUT_NAME);
  const keepsOwnCopy = input.kind !== 'file' && job.inputPath === ownCopy;
  const inputPath = keepsOwnCopy ? ownCopy : describeJobInput(input);
  if (job.inputPath !== inputPath) {
    throw new UsageError(
      'USAGE',
      `job ${jobId} exists with input ${job.inputPath}, not ${inputPath}; pick another --job id or run "batchpilot resume ${jobId}"`,
      { context: { flag: '--job' } },
    );
  }
  return { job, keepsOwnCopy };
}
