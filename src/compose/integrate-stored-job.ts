import { join } from 'node:path';
import type { ResolvedConfig } from '../config/config-schema.ts';
import { integrateConfigSchema } from '../config/config-schema.ts';
import type { Job } from '../core/job.ts';
import { UsageError } from '../errors/index.ts';
import { integrateDataJob, type IntegrateDataJobResult } from '../output/integrate-data-job.ts';
import type { SinkReportEntry } from '../output/integration-report.ts';
import { resolveEnrichedTarget, type EnrichedFormat } from '../output/write-enriched.ts';
import { MANIFEST_ROWS_FILE, readManifestRows } from '../prep/manifest.ts';
import type { Store } from '../store/store.ts';
import { dataJobRecordOf, loadPromptSnapshot } from './data-job-record.ts';
import { followAnswers, type FollowGate } from './follow-answers.ts';
import type { SinkFigures, SinkRunner, WalkedRow } from './sink-runner.ts';
import { jobDirPath } from './job-paths.ts';
import { readSourceRows } from './read-source-rows.ts';
import { storeAnswerLookup } from './store-answer-lookup.ts';

export interface IntegrateStoredJobOptions {
  store: Store;
  workspace: string;
  job: Job;
  config: ResolvedConfig;
  /** `integrate JOB --out`, over `integrate.out`; relative to the working folder. */
  out?: string | undefined;
  /** Where integration_report.json and rows_without_valid.txt go (`collect JOB --out DIR`); default the job folder. */
  reportDir?: string | undefined;
  /** `integrate JOB --format`, over `integrate.format`. */
  format?: EnrichedFormat | undefined;
  /** Follows a run still answering (join-back-worker.ts): each page waits for its items to settle. */
  follow?: FollowGate | undefined;
  /** The job's sinks, fed each row as it is written (decision 0026); finished (or closed) here. */
  sinks?: SinkRunner | undefined;
}

/**
 * Join-back of a data job from what the store holds (docs/decisions/0020 §3): at the end of every run of it and for
 * `integrate JOB`, which sends nothing. The prompts are the job's frozen ones; the source rows are read again from
 * the data file, matched to the manifest row by row.
 */
export async function integrateStoredJob(options: IntegrateStoredJobOptions): Promise<IntegrateDataJobResult> {
  const { job, config } = options;
  const record = dataJobRecordOf(job);
  if (record === undefined) {
    throw new UsageError(
      'USAGE',
      `job ${job.id} is not a data job (it was created from request lines, not rows and prompts); there is no enriched dataset to write`,
      { context: { jobId: job.id } },
    );
  }
  const jobDir = jobDirPath(options.workspace, job.id);
  const prompts = await loadPromptSnapshot(options.workspace, job.id);
  const integrate = integrateConfigSchema.parse(config.integrate ?? {});
  const target = resolveEnrichedTarget(
    { out: options.out ?? integrate.out, format: options.format ?? integrate.format },
    jobDir,
  );
  const answers = storeAnswerLookup({ store: options.store, jobId: job.id, mode: config.mode, prices: config.prices });
  const { sinks } = options;
  try {
    return await integrateDataJob({
      ...(sinks === undefined
        ? {}
        : {
            onRow: (row: WalkedRow) => sinks.offer(row),
            finishSinks: async () => (await sinks.finish()).map(toReportEntry),
          }),
      manifestRows: readManifestRows(join(jobDir, MANIFEST_ROWS_FILE)),
      dataRows: readSourceRows(record),
      answers: options.follow === undefined ? answers : followAnswers(answers, options.follow),
      prompts: prompts.prompts,
      out: target.path,
      format: target.format,
      fields: integrate.fields,
      meta: integrate.meta,
      jobDir: options.reportDir ?? jobDir,
      minCoverage: integrate.min_coverage,
      dataPath: record.dataPath,
      ...(config.groups === undefined
        ? {}
        : {
            groups: {
              countPrompt: config.groups.count_prompt,
              targets: config.groups.targets,
              already: config.groups.already,
            },
          }),
    });
  } catch (error) {
    await sinks?.close();
    throw error;
  }
}

function toReportEntry(figures: SinkFigures): SinkReportEntry {
  return {
    name: figures.name,
    rows_written: figures.rowsWritten,
    batches: figures.batches,
    retries: figures.retries,
    done_through_row: figures.doneThroughRow,
  };
}
