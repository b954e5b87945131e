import { isAbsolute, resolve } from 'node:path';
import type { SinkConfig } from '../config/sinks-config-schema.ts';
import type { ResolvedConfig } from '../config/config-schema.ts';
import type { Approvals } from '../plan/check-safety-caps.ts';
import { prepareData, type PrepareDataResult } from '../prep/prepare-data.ts';
import type { PromptSet } from '../prep/prompt-spec.ts';
import type { Store } from '../store/store.ts';
import { createJobInStore } from './create-job-in-store.ts';
import { savePromptSnapshot } from './data-job-record.ts';
import { jobDirPath } from './job-paths.ts';

export interface CreateDataJobOptions {
  store: Store;
  workspace: string;
  jobId: string;
  /** The data file (rows). */
  dataPath: string;
  prompts: PromptSet;
  /** The prompts file (`promptsFileOf`), null when inline in a config: kept for `validate JOB`. */
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
 * The one way a data job is created, for `run DATA --prompts` and the library (docs/decisions/0020), in two stages:
 * - the rows rendered into `requests.jsonl`, the manifest and the rejects in the job's folder, and the prompt set
 *   frozen beside them (`prompts.json`), so resume, `validate` and `integrate` check answers with the rules the
 *   requests were made with, whatever happens to the prompts file later. Nothing is in the store yet: a kill here
 *   leaves files the next `run` rewrites (rendering is deterministic);
 * - the job created over the prepared requests with its data record, in one store write: a data job is never seen
 *   without the record its runs are checked and joined back by.
 */
export async function createDataJob(
  options: CreateDataJobOptions,
): Promise<{ requestsPath: string; outDir: string; prepared: PrepareDataResult }> {
  // `integrate.out` and the sinks' folders are taken from the working folder of the command that made the job, not of
  // whoever runs it later (the scheduler, a resume from elsewhere): kept absolute with the job.
  const { integrate } = options.config;
  const withOut: ResolvedConfig =
    integrate?.out === undefined || isAbsolute(integrate.out)
      ? options.config
      : { ...options.config, integrate: { ...integrate, out: resolve(integrate.out) } };
  const config: ResolvedConfig =
    withOut.sinks === undefined ? withOut : { ...withOut, sinks: withOut.sinks.map(withAbsolutePaths) };
  const prepared = await prepareData({
    dataPath: options.dataPath,
    prompts: options.prompts,
    outDir: jobDirPath(options.workspace, options.jobId),
    data: { format: config.data?.format, key: config.data?.key, groupBy: config.data?.group_by },
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.onlyKeys === undefined ? {} : { onlyKeys: options.onlyKeys }),
  });
  await savePromptSnapshot(options.workspace, options.jobId, options.prompts);
  const { data } = prepared.manifest;
  const { requestsPath } = prepared;
  const { outDir } = await createJobInStore({
    store: options.store,
    workspace: options.workspace,
    jobId: options.jobId,
    inputPath: requestsPath,
    config,
    approvals: options.approvals,
    outDir: options.outDir,
    data: {
      kind: 'data',
      promptsHash: options.prompts.hash,
      promptsFile: options.promptsFile,
      dataPath: data.path,
      dataFormat: data.format,
      dataKey: data.key,
      manifestPath: prepared.manifestPath,
    },
  });
  return { requestsPath, outDir, prepared };
}

/** A sink's folder (`dir`, a LanceDB `uri` that is a path, not a URI) made absolute from the working folder. */
function withAbsolutePaths(sink: SinkConfig): SinkConfig {
  if (sink.type === 'jsonl') return isAbsolute(sink.dir) ? sink : { ...sink, dir: resolve(sink.dir) };
  if (sink.type === 'lancedb' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(sink.uri) && !isAbsolute(sink.uri)) {
    return { ...sink, uri: resolve(sink.uri) };
  }
  return sink;
}
