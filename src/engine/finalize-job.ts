import { join } from 'node:path';
import type { Chunk } from '../core/chunk.ts';
import { answerModel } from '../core/item.ts';
import type { Job } from '../core/job.ts';
import { writeFileAtomically } from '../output/atomic-write.ts';
import { buildReport, type AnswersReport, type GroupReportLine, type JobReport } from '../output/build-report.ts';
import { computeJobCost, type JobCost } from '../output/job-cost.ts';
import { RESULT_FILES } from '../output/result-file-names.ts';
import { writeResultFiles, type ResultFileCounts } from '../output/write-result-files.ts';
import { requireJob } from '../store/require-job.ts';
import type { ItemStore, Store } from '../store/store.ts';
import type { Clock } from '../util/clock.ts';
import type { HeldLease } from './lease.ts';

export interface FinalizeJobOptions {
  store: Store;
  jobId: string;
  finalState: 'completed' | 'failed' | 'interrupted' | 'cancelled';
  order: 'input' | 'completion';
  limit: number;
  /** The run's lease: flushed so the job's active time (summed over all runs) includes this one. */
  lease: HeldLease;
  /**
   * A completed job with nothing left to send only rewrites its files: it stays `completed`
   * throughout, so a kill meanwhile leaves it completed, not interrupted.
   */
  keepState?: boolean;
  clock: Clock;
  /** Batch mode: the chunk lines of the report. */
  batch?: { provider: string; discount: number; chunks: readonly Chunk[] };
  /** The run checked its answers (an answer review): the report says what the checks said and re-asks cost. */
  reviewed?: boolean;
  /** A data job with groups: its per-group lines (docs/decisions/0024). */
  groups?: GroupReportLine[] | undefined;
}

/**
 * The model a job is priced at: the one its first answer names (the provider bills what answered, e.g.
 * `gpt-4o-mini-2024-07-18`), else the config's `model`. One answer is read, not all of them.
 */
async function pricedModel(store: ItemStore, job: Job, succeeded: number): Promise<string | null> {
  const configured = job.config.model ?? null;
  if (succeeded === 0) return configured;
  for await (const item of store.iterateItems(job.id, 'completion')) {
    if (item.state !== 'succeeded' || item.responseBody === null) continue;
    const model = answerModel(item.responseBody);
    if (model !== null) return model;
    break;
  }
  return configured;
}

/**
 * Ends a run, whatever the mode: the result files and report.json are rewritten from the
 * store (each atomically), then the job takes its final state.
 */
export async function finalizeJob(options: FinalizeJobOptions): Promise<{ job: Job; report: JobReport }> {
  const { store, jobId, clock } = options;
  const keepState = options.keepState === true;
  if (!keepState) await store.setJobState(jobId, 'finalizing');
  const counts = await writeResultFiles(store, await requireJob(store, jobId), options.order);
  await options.lease.flush();
  // One instant for the report's `finished_at` and the job's `finishedAt`: `collect JOB` writes the same report later.
  const finishedAt = clock.now();
  const report = await writeJobReport({
    store,
    job: await requireJob(store, jobId),
    state: options.finalState,
    counts,
    limit: options.limit,
    finishedAt,
    batch: options.batch,
    reviewed: options.reviewed,
    groups: options.groups,
  });
  if (!keepState) await store.setJobState(jobId, options.finalState, { finishedAt });
  return { job: await requireJob(store, jobId), report };
}

export interface WriteJobReportOptions {
  store: Store;
  /** The job as stored; its `outDir` is where report.json goes and what its `files` name. */
  job: Job;
  /** The state the report names. */
  state: string;
  /** What `writeResultFiles` counted. */
  counts: ResultFileCounts;
  limit: number;
  /** The report's `finished_at` (epoch ms). */
  finishedAt: number;
  batch?: FinalizeJobOptions['batch'];
  reviewed?: boolean | undefined;
  groups?: GroupReportLine[] | undefined;
}

/**
 * report.json from the store, written atomically into `job.outDir`: the part of a run's end that changes nothing in
 * the store, shared by `finalizeJob` and `collect JOB` (compose/collect-job.ts), so both write the same report.
 */
export async function writeJobReport(options: WriteJobReportOptions): Promise<JobReport> {
  const { store, job, counts } = options;
  const stats = await store.attemptStats(job.id);
  const cost = computeJobCost({
    mode: job.config.mode === 'batch' ? 'batch' : 'realtime',
    model: await pricedModel(store, job, counts.succeeded),
    inputTokens: stats.inputTokens,
    outputTokens: stats.outputTokens,
    prices: job.config.prices ?? {},
    ...(options.batch === undefined ? {} : { batchFactor: options.batch.discount }),
  });
  const answers = options.reviewed === true ? await answersReport(store, job.id, cost) : undefined;
  const report = buildReport({
    job,
    state: options.state,
    counts,
    stats,
    limit: options.limit,
    wallMs: job.activeMs,
    now: options.finishedAt,
    cost,
    ...(options.batch === undefined ? {} : { batch: options.batch }),
    ...(answers === undefined ? {} : { answers }),
    ...(options.groups === undefined ? {} : { groups: options.groups }),
  });
  await writeFileAtomically(join(job.outDir, RESULT_FILES.report), `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

/** The report's `answers`: checks by status, valid after N re-asks, and the re-asks' share of the cost. */
async function answersReport(store: Store, jobId: string, cost: JobCost): Promise<AnswersReport> {
  const review = await store.reviewStats(jobId);
  const costOfReasks =
    cost.price === null
      ? null
      : computeJobCost({
          mode: cost.mode,
          model: cost.model,
          inputTokens: review.reaskInputTokens,
          outputTokens: review.reaskOutputTokens,
          prices: { [cost.model ?? '']: cost.price },
        }).usd;
  return {
    by_status: review.byStatus,
    valid_after_reasks: review.validAfterReasks,
    reasks: {
      attempts: review.reaskAttempts,
      tokens: { input: review.reaskInputTokens, output: review.reaskOutputTokens },
      cost_usd: costOfReasks,
    },
  };
}
