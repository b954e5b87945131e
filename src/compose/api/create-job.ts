import { resolve } from 'node:path';
import type { BatchpilotConfig } from '../../config/config-schema.ts';
import { resolveConfigObject } from '../../config/resolve-config-object.ts';
import { createJobId } from '../../core/job-id.ts';
import { NO_APPROVALS, type Approvals } from '../../plan/check-safety-caps.ts';
import { createStore } from '../../store/create-store.ts';
import type { Store } from '../../store/store.ts';
import { checkJobId } from '../check-job-id.ts';
import { createJobInStore } from '../create-job-in-store.ts';
import type { JobInput } from '../job-input.ts';
import { toJobInput } from '../job-input.ts';
import { UsageError } from '../../errors/index.ts';
import { loadPromptSet, promptsFileOf, type LoadPromptSetOptions } from '../../prep/load-prompt-set.ts';
import { createDataJob } from '../create-data-job.ts';
import { spoolJobInput } from '../spool-job-input.ts';
import type { LoadedConfig } from '../../config/resolve-config.ts';
import { markForeignStoreJob } from '../mark-foreign-store-job.ts';

/** Requests to run: a JSONL file's path, or the request lines themselves (strings, or objects written as JSON). */
export type JobInputSource = string | AsyncIterable<string | object> | Iterable<string | object>;

export interface CreateJobOptions {
  /**
   * The requests: a path to a JSONL file (OpenAI batch lines or message rows; a `.gz`, a FIFO or `-` for standard
   * input are copied into the job's folder), or an iterable of lines (strings) or request objects, copied likewise so
   * the job can be resumed. Give either `input` or `data`.
   */
  input?: JobInputSource;
  /**
   * A data job instead (README "Data jobs"): the path of a data file (JSONL, a JSON array, CSV or Parquet) whose
   * rows go through `prompts` into requests; answers are checked, re-asked and joined back into an enriched dataset
   * (`JobResult.integration`). `config.data` sets its key column and format.
   */
  data?: string;
  /**
   * With `data`: the path of a prompts file (relative to the working folder), or its content (`defaults`,
   * `custom_id`, `prompts`) as an object. @default `config.prompts`
   */
  prompts?: string | Readonly<Record<string, unknown>>;
  /** The workspace folder: its `state.db` and `jobs/<id>/` hold the job. Created if missing. */
  workspace: string;
  /**
   * A PostgreSQL database for the job's state, `postgres://user:password@host:port/database` (the CLI's `--store`);
   * the job's files stay in `workspace`. Anything but a `postgres://` or `postgresql://` URL is `USAGE`.
   * @default the workspace's SQLite store (`<workspace>/state.db`)
   */
  storeUrl?: string;
  /** Letters, digits, `.`, `_` and `-`. @default a new `job-YYYYMMDD-HHMMSS-xxxx` */
  jobId?: string;
  /**
   * The same keys as `batchpilot.yaml`, validated exactly as a file is (`ConfigError` `CONFIG_INVALID` naming the key).
   * `BATCHPILOT_*` variables are not applied; the key is read from `env[api_key_env]`.
   */
  config: BatchpilotConfig;
  /** Folder for the result files. @default `<workspace>/jobs/<jobId>` */
  outDir?: string;
  /** Approvals for the safety caps (`limits.*`), as the CLI's `--approve-*` flags. @default none */
  approvals?: Partial<Approvals>;
  /** Stops copying a streamed input (`INTERRUPTED`; nothing is created). */
  signal?: AbortSignal;
  /** Where the API key is read from. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
}

/** A job created and not yet run. */
export interface CreatedJob {
  jobId: string;
  /** The file the job reads: the input itself, or its copy in the job's folder. */
  inputPath: string;
  /** Where the result files will be written. */
  outDir: string;
}

/**
 * Creates a job in the workspace without running it (`runJob` creates and runs; `resumeJob` runs a created job): the
 * config validated, the input copied if it is a stream, fingerprinted (resume checks it) and checked against the
 * safety caps. Throws `ConfigError` (`CONFIG_INVALID`, `API_KEY_MISSING`, `*_REQUIRES_APPROVAL`, ...), `InputError`
 * (`INPUT_UNREADABLE`), `UsageError` (`USAGE` for a bad `jobId`, `OUT_DIR_IN_USE`).
 */
export async function createJob(options: CreateJobOptions): Promise<CreatedJob> {
  const loaded = resolveLibraryConfig(options);
  const source = await jobSourceOf(options);
  const store = createStore({ workspace: options.workspace, url: options.storeUrl });
  try {
    const jobId = options.jobId ?? createJobId();
    if (options.jobId !== undefined) checkJobId(options.jobId);
    return await createLibraryJob(store, { ...options, jobId }, loaded, source);
  } finally {
    await store.close();
  }
}

/** The config object validated (see `resolveConfigObject`). */
export function resolveLibraryConfig(options: Pick<CreateJobOptions, 'config' | 'env'>): LoadedConfig {
  return resolveConfigObject(options.config, { env: options.env ?? process.env });
}

/** Where the library's data job reads its prompts: `prompts` (a path from the working folder, or the content), else the config's. */
export function libraryPromptSource(
  prompts: CreateJobOptions['prompts'],
  configPrompts: LoadedConfig['config']['prompts'],
): LoadPromptSetOptions {
  return {
    promptsPath: typeof prompts === 'string' ? prompts : undefined,
    configPrompts: typeof prompts === 'object' ? prompts : configPrompts,
    configFile: null,
    cwd: process.cwd(),
  };
}

/** What a job is made from: request lines, or data rows through prompts. */
export type LibraryJobSource = { kind: 'requests'; input: JobInput } | { kind: 'data'; dataPath: string };

/** The job's source, from exactly one of `input` and `data` (USAGE otherwise). */
export async function jobSourceOf(options: Pick<CreateJobOptions, 'input' | 'data'>): Promise<LibraryJobSource> {
  if ((options.input === undefined) === (options.data === undefined)) {
    throw new UsageError('USAGE', 'give exactly one of input (request lines) and data (rows to go through prompts)', {
      context: { key: options.input === undefined ? 'input' : 'data' },
    });
  }
  return options.data === undefined
    ? { kind: 'requests', input: await toJobInput(options.input as JobInputSource) }
    : { kind: 'data', dataPath: resolve(options.data) };
}

/** The shared body of `createJob` and `runJob`, on an open store. */
export async function createLibraryJob(
  store: Store,
  options: CreateJobOptions & { jobId: string },
  loaded: LoadedConfig,
  source: LibraryJobSource,
): Promise<CreatedJob> {
  const workspace = resolve(options.workspace);
  if (options.storeUrl !== undefined) await markForeignStoreJob(workspace, options.jobId, options.storeUrl);
  if (source.kind === 'data') {
    const promptSource = libraryPromptSource(options.prompts, loaded.config.prompts);
    const prompts = await loadPromptSet(promptSource);
    const created = await createDataJob({
      store,
      workspace,
      jobId: options.jobId,
      dataPath: source.dataPath,
      prompts,
      promptsFile: promptsFileOf(promptSource),
      config: loaded.config,
      approvals: { ...NO_APPROVALS, ...options.approvals },
      outDir: options.outDir === undefined ? undefined : resolve(options.outDir),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    return { jobId: options.jobId, inputPath: created.requestsPath, outDir: created.outDir };
  }
  const { input } = source;
  const inputPath = await spoolJobInput({
    workspace,
    jobId: options.jobId,
    input,
    signal: options.signal ?? new AbortController().signal,
  });
  const { outDir } = await createJobInStore({
    store,
    workspace,
    jobId: options.jobId,
    inputPath,
    config: loaded.config,
    approvals: { ...NO_APPROVALS, ...options.approvals },
    outDir: options.outDir === undefined ? undefined : resolve(options.outDir),
  });
  return { jobId: options.jobId, inputPath, outDir };
}
