import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { ResolvedConfig } from '../config/config-schema.ts';
import { integrateConfigSchema } from '../config/config-schema.ts';
import { fromStoredConfig } from '../config/load-config.ts';
import type { Job } from '../core/job.ts';
import { ENDED_JOB_STATES } from '../core/states.ts';
import { writeJobReport } from '../engine/finalize-job.ts';
import { effectiveState, isLeaseLive } from '../engine/lease.ts';
import { InputError, UsageError, type BatchpilotError } from '../errors/index.ts';
import type { GroupReportLine, JobReport } from '../output/build-report.ts';
import type { IntegrateDataJobResult } from '../output/integrate-data-job.ts';
import { resolveEnrichedTarget } from '../output/write-enriched.ts';
import { writeResultFiles } from '../output/write-result-files.ts';
import { BATCH_PRICE_FACTOR } from '../plan/price-table.ts';
import { MANIFEST_ROWS_FILE, readManifestRows } from '../prep/manifest.ts';
import { batchProviderName } from '../providers/create-provider.ts';
import { requireJob } from '../store/require-job.ts';
import type { Store } from '../store/store.ts';
import { assertOutDirFree } from './assert-out-dir-free.ts';
import { dataJobRecordOf, PROMPTS_SNAPSHOT_FILE } from './data-job-record.ts';
import { readStoredGroupFigures, toGroupReportLines } from './group-admission.ts';
import { jobDirPath } from './job-paths.ts';

export interface CollectJobOptions {
  /** Opened by the caller (the CLI's command, the library's `collectJob`); only read here. */
  store: Store;
  /** The workspace the job's folder is in (a data job's manifest and frozen prompts). */
  workspace: string;
  jobId: string;
  /** `--out DIR`: every file goes there. Unset: each file where the job's run writes it. */
  out?: string | undefined;
  /** Where the stored config's `api_key_env` and the like are read from; no key is needed. */
  env?: Readonly<Record<string, string | undefined>>;
  /** The time `now` is, for a job that has not ended (its report's `finished_at`) and its lease. */
  now?: number;
}

export interface CollectedJob {
  job: Job;
  /** The job's state as `status` shows it: a dead runner's `running` job is `interrupted`. */
  state: string;
  /** The job had ended (completed, failed or cancelled): the files are the ones its run wrote. */
  ended: boolean;
  /** Where the result files and report.json were written. */
  outDir: string;
  report: JobReport;
  /** A data job joined back: its enriched dataset and integration report. */
  integration?: IntegrateDataJobResult;
  /**
   * A data job whose join-back could not be done here (`INPUT_UNREADABLE`: a file of the job folder, or the data
   * file, is not on this machine): the message names the file and the fix. The plain result files were written.
   */
  joinBackError?: BatchpilotError;
}

/**
 * `collect JOB [--out DIR]` (docs/decisions/0033): a job's result files, report.json and, for a data job, its
 * enriched dataset and integration report, written from what the store holds, through the same writers its run's
 * end uses (`writeResultFiles`, `writeJobReport`, `integrateStoredJob`). It only reads the store: no state, lease,
 * item or sink changes, whether the job ended, is running or was interrupted (then the files hold what is settled).
 */
export async function collectJob(options: CollectJobOptions): Promise<CollectedJob> {
  const { store, jobId } = options;
  const now = options.now ?? Date.now();
  const stored = await requireJob(store, jobId);
  const outDir = options.out === undefined ? stored.outDir : resolve(options.out);
  await assertOutDirFree(store, outDir, jobId);
  await assertWritable(outDir, options.out !== undefined);
  // Its warnings are about the API key, which collect, sending nothing, never uses.
  const { config } = await fromStoredConfig(stored.config, {
    env: options.env ?? process.env,
    flags: {},
    requireKey: false,
  });
  const job: Job = { ...stored, outDir };
  const ended = ENDED_JOB_STATES.has(stored.state) && !isLeaseLive(stored.lease, now);
  const state = effectiveState(stored, now);
  const data = dataJobRecordOf(job);
  const jobDir = jobDirPath(options.workspace, jobId);
  const absent = data === undefined ? [] : await absentJoinBackFiles(jobDir, data.dataPath);
  const { cursor } = stored;
  const unread = cursor.done
    ? undefined
    : { byte: cursor.byte, line: cursor.line, seq: cursor.seq, maxLineBytes: config.input.max_line_bytes };
  const counts = await withInputNamed(job, () => writeResultFiles(store, job, config.output.order, unread));
  const groups = data !== undefined && absent.length === 0 ? await storedGroupLines(store, job, config, jobDir) : {};
  const report = await writeJobReport({
    store,
    job,
    state,
    counts,
    limit: config.limit,
    // A job that ended carries its run's instant; one that has not, this one.
    finishedAt: (ended || stored.state === 'interrupted') && stored.finishedAt !== null ? stored.finishedAt : now,
    batch:
      config.mode === 'batch'
        ? {
            provider: batchProviderName({
              provider: config.provider,
              // `--simulate` ran against the built-in simulator, an OpenAI endpoint.
              baseUrl: config.simulate ? undefined : config.base_url,
              dialect: config.batch.dialect,
            }),
            discount: BATCH_PRICE_FACTOR,
            chunks: await store.listChunks(jobId),
          }
        : undefined,
    reviewed: data !== undefined,
    ...groups,
  });
  const result: CollectedJob = { job, state, ended, outDir, report };
  if (data === undefined) return result;
  if (absent.length > 0) {
    return { ...result, joinBackError: joinBackUnavailable(jobId, absent, outDir, config.groups !== undefined) };
  }
  const { integrateStoredJob } = await import('./integrate-stored-job.ts');
  const integration = await integrateStoredJob({
    store,
    workspace: options.workspace,
    job,
    config,
    ...(options.out === undefined ? {} : { ...enrichedIn(outDir, config, jobDir), reportDir: outDir }),
  });
  return { ...result, integration };
}

/** DIR made if need be and writable, else `OUT_DIR_UNWRITABLE` naming it and the fix. */
async function assertWritable(outDir: string, given: boolean): Promise<void> {
  try {
    await mkdir(outDir, { recursive: true });
    await access(outDir, constants.W_OK);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    const what = given ? `--out ${outDir}` : `the job's folder ${outDir}`;
    throw new UsageError(
      'OUT_DIR_UNWRITABLE',
      `${what} cannot be written (${reason}); pick a folder you can write with --out DIR, or fix its permissions`,
      { context: { file: outDir, ...(given ? { flag: '--out' } : {}) }, cause: error },
    );
  }
}

/**
 * missing_records.jsonl holds the input line of every item with no result, read from the job's input: when it is not
 * on this machine, the message says which file and what to do.
 */
async function withInputNamed<T>(job: Job, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (!(error instanceof InputError) || error.code !== 'INPUT_UNREADABLE' || error.context.file !== job.inputPath) {
      throw error;
    }
    const reason = (error.cause as NodeJS.ErrnoException | undefined)?.code ?? 'unreadable';
    throw new InputError(
      'INPUT_UNREADABLE',
      `missing_records.jsonl of job ${job.id} copies the input lines of its items with no result from ${job.inputPath}, which cannot be read here (${reason}); run "batchpilot collect ${job.id}" on the machine that holds it, or copy it to that path`,
      { context: { file: job.inputPath, jobId: job.id }, cause: error },
    );
  }
}

/** The files a data job's join-back reads that are not here: its frozen prompts, its manifest, its data file. */
async function absentJoinBackFiles(jobDir: string, dataPath: string): Promise<string[]> {
  const absent: string[] = [];
  for (const file of [join(jobDir, PROMPTS_SNAPSHOT_FILE), join(jobDir, MANIFEST_ROWS_FILE), dataPath]) {
    try {
      await access(file, constants.R_OK);
    } catch {
      absent.push(file);
    }
  }
  return absent;
}

function joinBackUnavailable(jobId: string, absent: readonly string[], outDir: string, groups: boolean): InputError {
  const what = groups ? "the enriched dataset (and report.json's groups)" : 'the enriched dataset';
  return new InputError(
    'INPUT_UNREADABLE',
    `${what} of data job ${jobId} was not written: its join-back reads ${absent.join(', ')}, not on this machine. The result files are in ${outDir}; for the dataset run "batchpilot collect ${jobId}" where the job folder and data file are, or copy them to those paths`,
    { context: { file: absent[0] ?? '', jobId } },
  );
}

/** `--out DIR`: the enriched file under the name the run gives it, in DIR. */
function enrichedIn(outDir: string, config: ResolvedConfig, jobDir: string): { out: string } {
  const integrate = integrateConfigSchema.parse(config.integrate ?? {});
  const target = resolveEnrichedTarget({ out: integrate.out, format: integrate.format }, jobDir);
  return { out: join(outDir, basename(target.path)) };
}

/** report.json's `groups` of a data job with groups, from its stored items (`readStoredGroupFigures`). */
async function storedGroupLines(
  store: Store,
  job: Job,
  config: ResolvedConfig,
  jobDir: string,
): Promise<{ groups?: GroupReportLine[] }> {
  if (config.groups === undefined || config.data?.group_by === undefined) return {};
  const figures = await readStoredGroupFigures(
    config.groups,
    readManifestRows(join(jobDir, MANIFEST_ROWS_FILE)),
    store.iterateItems(job.id, 'input'),
  );
  return { groups: toGroupReportLines(figures) };
}
