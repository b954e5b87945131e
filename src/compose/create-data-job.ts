import { isAbsolute, resolve } from 'node:path';
import type { ResolvedConfig } from '../config/config-schema.ts';
import type { Approvals } from '../plan/check-safety-caps.ts';
import type { PrepareDataResult } from '../prep/prepare-data.ts';
import type { PromptSet } from '../prep/prompt-spec.ts';
import type { Store } from '../store/store.ts';
import { createJobInStore } from './create-job-in-store.ts';
import { prepareDataJob } from './prepare-data-job.ts';

export interface CreateDataJobOptions {
  store: Store;
  workspace: string;
  jobId: string;
  /** The data file (rows). */
  dataPath: string;
  prompts: PromptSet;
  /** The prompts file (`promptsFileOf`), null when inline in a config. */
  promptsFile: string | null;
  config: ResolvedConfig;
  approvals: Approvals;
  outDir?: string | undefined;
  /** `--only FILE`: only the rows with these keys are prepared. */
  onlyKeys?: ReadonlySet<string> | undefined;
  /** Stops the prepare (nothing is created). */
  signal?: AbortSignal;
}

/**
 * The one way a data job is created, for `run DATA --prompts` and the library: the rows prepared into the job's
 * folder (`prepareDataJob`), then the job created over the prepared requests with its data record, in one store
 * write: a data job is never seen without the record its runs are checked and joined back by.
 */
export async function createDataJob(
  options: CreateDataJobOptions,
): Promise<{ requestsPath: string; outDir: string; prepared: PrepareDataResult }> {
  // `integrate.out` is taken from the working folder of the command that made the job, not of whoever runs it later
  // (the scheduler, a resume from elsewhere): kept absolute with the job.
  const { integrate } = options.config;
  const config: ResolvedConfig =
    integrate?.out === undefined || isAbsolute(integrate.out)
      ? options.config
      : { ...options.config, integrate: { ...integrate, out: resolve(integrate.out) } };
  const { requestsPath, record, prepared } = await prepareDataJob({
    workspace: options.workspace,
    jobId: options.jobId,
    dataPath: options.dataPath,
    prompts: options.prompts,
    promptsFile: options.promptsFile,
    data: { format: config.data?.format, key: config.data?.key },
    onlyKeys: options.onlyKeys,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const { outDir } = await createJobInStore({
    store: options.store,
    workspace: options.workspace,
    jobId: options.jobId,
    inputPath: requestsPath,
    config,
    approvals: options.approvals,
    outDir: options.outDir,
    data: record,
  });
  return { requestsPath, outDir, prepared };
}
