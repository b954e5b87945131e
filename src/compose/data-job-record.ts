import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Job, JobData } from '../core/job.ts';
import { InputError } from '../errors/index.ts';
import { writeFileAtomically } from '../output/atomic-write.ts';
import type { PromptSet } from '../prep/prompt-spec.ts';
import { jobDirPath } from './job-paths.ts';

/** The prompt set a data job was prepared with, frozen beside its manifest: what every later run checks against. */
export const PROMPTS_SNAPSHOT_FILE = 'prompts.json';

/**
 * What the store keeps of a data job (`jobs.data_json`) besides its config. The manifest and the prompt snapshot sit
 * at fixed names in the job's folder, so a moved workspace still finds them; the data file is the user's own.
 */
export interface DataJobRecord extends JobData {
  readonly kind: 'data';
  readonly promptsHash: string;
  /** The data file prepared from (join-back reads its rows again): absolute. */
  readonly dataPath: string;
  /** `data.format` and `data.key` as prepare used them. */
  readonly dataFormat: string;
  readonly dataKey: string | null;
  /** The prompts file the job was prepared from, re-read by `validate JOB`; null when they were inline in a config. */
  readonly promptsFile: string | null;
  /** Informational: the manifest when the job was created (the one read is in the job's folder, wherever it is). */
  readonly manifestPath: string;
}

/** The job's data record, or undefined for a job of request lines. */
export function dataJobRecordOf(job: Pick<Job, 'data'>): DataJobRecord | undefined {
  return job.data?.['kind'] === 'data' ? (job.data as DataJobRecord) : undefined;
}

/** Freezes `set` as the job's prompts: what its later runs, `validate` and `integrate` use. */
export async function savePromptSnapshot(workspace: string, jobId: string, set: PromptSet): Promise<void> {
  await writeFileAtomically(join(jobDirPath(workspace, jobId), PROMPTS_SNAPSHOT_FILE), `${JSON.stringify(set)}\n`);
}

/** The prompt set frozen when the job was prepared; INPUT_UNREADABLE (naming the file) when it is gone. */
export async function loadPromptSnapshot(workspace: string, jobId: string): Promise<PromptSet> {
  const path = join(jobDirPath(workspace, jobId), PROMPTS_SNAPSHOT_FILE);
  try {
    return JSON.parse(await readFile(path, 'utf8')) as PromptSet;
  } catch (error) {
    throw new InputError(
      'INPUT_UNREADABLE',
      `${path}: the prompts data job ${jobId} was prepared with cannot be read (${(error as Error).message}); it is written when the job is created and must stay in the job folder`,
      { context: { file: path, jobId } },
    );
  }
}
