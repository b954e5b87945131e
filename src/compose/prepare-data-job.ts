import type { DataFormat } from '../prep/data-row.ts';
import { prepareData, type PrepareDataResult } from '../prep/prepare-data.ts';
import type { PromptSet } from '../prep/prompt-spec.ts';
import { savePromptSnapshot, type DataJobRecord } from './data-job-record.ts';
import { jobDirPath } from './job-paths.ts';

export interface PrepareDataJobOptions {
  workspace: string;
  jobId: string;
  dataPath: string;
  prompts: PromptSet;
  /** The prompts file (`promptsFileOf`), null when inline in a config: kept for `validate JOB`. */
  promptsFile: string | null;
  data?: { format?: DataFormat | undefined; key?: string | undefined };
  /** `--only FILE`: only the rows with these keys. */
  onlyKeys?: ReadonlySet<string> | undefined;
  signal?: AbortSignal;
}

export interface PreparedDataJob {
  /** The job's input: the prepared request lines in its folder. */
  requestsPath: string;
  /** What the store keeps with the job (`createJobInStore`'s `data`). */
  record: DataJobRecord;
  prepared: PrepareDataResult;
}

/**
 * The first stage of a data job (docs/decisions/0020): the rows rendered into `requests.jsonl`, the manifest and the
 * rejects in the job's folder, and the prompt set frozen beside them (`prompts.json`), so resume, `validate` and
 * `integrate` check answers with the rules the requests were made with, whatever happens to the prompts file later.
 * Nothing is in the store yet: a kill here leaves files the next `run` rewrites (rendering is deterministic).
 */
export async function prepareDataJob(options: PrepareDataJobOptions): Promise<PreparedDataJob> {
  const jobDir = jobDirPath(options.workspace, options.jobId);
  const prepared = await prepareData({
    dataPath: options.dataPath,
    prompts: options.prompts,
    outDir: jobDir,
    ...(options.data === undefined ? {} : { data: options.data }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.onlyKeys === undefined ? {} : { onlyKeys: options.onlyKeys }),
  });
  await savePromptSnapshot(options.workspace, options.jobId, options.prompts);
  const { data } = prepared.manifest;
  return {
    requestsPath: prepared.requestsPath,
    prepared,
    record: {
      kind: 'data',
      promptsHash: options.prompts.hash,
      promptsFile: options.promptsFile,
      dataPath: data.path,
      dataFormat: data.format,
      dataKey: data.key,
      manifestPath: prepared.manifestPath,
    },
  };
}
