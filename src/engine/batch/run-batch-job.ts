import { isOpenChunk } from '../../core/chunk.ts';
import { ProviderError } from '../../errors/index.ts';
import type { LineParserOptions } from '../../input/parse-input-line.ts';
import { createLineReader } from '../../input/read-line-at.ts';
import { createTokenEstimator } from '../../plan/estimate-tokens.ts';
import { BATCH_PRICE_FACTOR, type ModelPrice } from '../../plan/price-table.ts';
import type { BatchProvider } from '../../providers/provider.ts';
import type { Store } from '../../store/store.ts';
import type { Clock } from '../../util/clock.ts';
import type { Logger } from '../../util/logger.ts';
import { recordUnread } from '../feed-items.ts';
import type { RetrySettings } from '../retry-policy.ts';
import type { AnswerReview } from '../answer-review.ts';
import { runJobScaffold, type EngineEnd, type JobRun, type RunEngine } from '../run-job-scaffold.ts';
import type { RunJobResult } from '../run-outcome.ts';
import { openBatchBudget } from './batch-budget.ts';
import { BatchLoop, type BatchProgress } from './batch-loop.ts';
import type { ChunkHandOut } from './chunk-hand-out.ts';
import type { ChunkSource } from './plan-chunk.ts';
import { EndpointOutage } from './remote-call.ts';
import { LOG_EVENT } from '../../util/log-event.ts';
import { SKIPPED_REASON, type AdmissionPolicy } from '../admission-policy.ts';
import type { GroupReportLine } from '../../output/build-report.ts';
import { WaveAdmission } from './wave-admission.ts';

export type { BatchProgress } from './batch-loop.ts';

/** What batch mode needs of the resolved config; compose/ derives it (`toBatchSettings` in compose/job-settings.ts). */
export interface BatchRunSettings {
  retry: RetrySettings;
  limit: number;
  order: 'input' | 'completion';
  parser: LineParserOptions;
  maxLineBytes: number;
  /** Config overrides of the provider's per-batch limits; undefined = the provider's. */
  chunkMaxRequests: number | undefined;
  chunkMaxBytes: number | undefined;
  maxConcurrent: number;
  maxEnqueuedTokens: number;
  pollIntervalMs: number;
  /** `limits.budget_usd`; 0 = none. */
  budgetUsd?: number;
  /** `prices` over the built-in table, to cost lines against the budget. */
  prices?: Readonly<Record<string, ModelPrice>>;
  /** `outage.max_wait_s` in ms: how long a step may fail to reach the provider before the job stops. @default 3600000 */
  outageMaxWaitMs?: number;
}

export interface RunBatchJobOptions {
  jobId: string;
  store: Store;
  provider: BatchProvider;
  settings: BatchRunSettings;
  /** Where chunk files are written before upload: the job's folder in the workspace. */
  workDir: string;
  clock?: Clock;
  logger?: Logger;
  /** Aborting stops polling at once; remote batches keep running and a later run collects them. */
  signal?: AbortSignal;
  /** `retry JOB` reopens failed items before running. */
  reopenFailed?: boolean;
  onProgress?: (progress: BatchProgress) => void;
  /** Told each provider notice once (something the input asked for that is not sent); it is logged too. */
  onNotice?: (message: string) => void;
  /**
   * Checks every merged answer; those it wants asked again go into chunks of their own, a re-ask wave per re-ask
   * number, submitted at batch prices on a later turn (a data job; docs/decisions/0019).
   */
  review?: AnswerReview | undefined;
  /**
   * Admission by need (docs/decisions/0024), asked in waves (docs/decisions/0028): only the items the policy admits
   * are cut into chunks; when the run completes, the open items it never admitted end `cancelled` with the reason
   * `target_reached`.
   */
  admission?: AdmissionPolicy | undefined;
  /** A data job's per-group lines for report.json (docs/decisions/0024). */
  reportGroups?: (() => GroupReportLine[]) | undefined;
  /** Runs once the job is finalized, its lease still held (see the scaffold's `beforeRelease`). */
  beforeRelease?: ((result: RunJobResult) => Promise<void>) | undefined;
  /**
   * A shared store (docs/decisions/0034): the chunks this run cuts are handed out through what this makes, once the
   * input is committed, and worked by whoever takes them. Unset: this run advances every chunk itself. Not with an
   * answer review or admission by need (a data job stays in one process).
   */
  handOut?: ((run: JobRun) => ChunkHandOut) | undefined;
}

/**
 * Unfinished items after each way a batch run can end. Only a cancel and the budget close them; after a stop, an
 * outage or an auth failure their lines may be in remote batches that keep running, which a later run collects.
 */
const BATCH_CANCEL_REASONS = { cancelled: 'cancelled', budget: 'budget' } as const satisfies RunEngine['cancelReasons'];

/**
 * Runs (or resumes) a job through a provider's Batch API: ingest, cut chunks, upload,
 * create, poll, download, merge, resubmit, until every item has a result. Each remote id is
 * committed before the next remote step, and a chunk whose step may have happened without
 * its id being committed is first looked for remotely (by its tag) and adopted. The lease,
 * ingest and finalize around it are the run scaffold's (`run-job-scaffold.ts`); the turns are `BatchLoop`'s.
 */
export async function runBatchJob(options: RunBatchJobOptions): Promise<RunJobResult> {
  const { provider, admission } = options;
  const scaffoldOptions =
    admission === undefined ? options : { ...options, groupOf: (customId: string) => admission.groupOf(customId) };
  return runJobScaffold(scaffoldOptions, {
    mode: 'batch',
    startFields: () => ({ provider: provider.name }),
    cancelReasons: BATCH_CANCEL_REASONS,
    run: (run) => runBatches(run, options),
    reportBatch: async (run) => ({
      provider: provider.name,
      discount: BATCH_PRICE_FACTOR,
      chunks: await run.store.listChunks(run.job.id),
    }),
  });
}

/** The batch engine: the whole input committed as items, then the loop's turns to an outcome. */
async function runBatches(run: JobRun, options: RunBatchJobOptions): Promise<EngineEnd> {
  const { store, provider, settings } = options;
  const { job, logger } = run;
  const reader = await createLineReader(job.inputPath);
  let handOut: ChunkHandOut | undefined;
  try {
    // The whole input is committed as items first: chunks are cut from the store, not the stream.
    await recordUnread({ ...run.ingest, jobId: job.id, signal: run.signal });
    const lines = { store, jobId: job.id, reader, parser: run.ingest.parser, provider, review: options.review };
    const budget = await openBatchBudget(lines, settings, BATCH_PRICE_FACTOR);
    const admission = options.admission === undefined ? undefined : new WaveAdmission(options.admission, store, job.id);
    await admission?.start();
    const source: ChunkSource = {
      ...lines,
      admits: admission?.admits,
      estimateTokens: settings.maxEnqueuedTokens > 0 ? await createTokenEstimator() : null,
      costRequest: budget?.costRequest ?? null,
    };
    handOut = options.handOut?.(run);
    await handOut?.start((await store.listChunks(job.id)).filter(isOpenChunk));
    const loop = new BatchLoop({
      jobId: job.id,
      store,
      provider,
      settings,
      workDir: options.workDir,
      source,
      budget,
      clock: run.clock,
      logger,
      signal: run.signal,
      startedAt: run.startedAt,
      onProgress: options.onProgress,
      onNotice: options.onNotice,
      admission,
      handOut,
    });
    try {
      const outcome = await loop.run();
      // Every unit the groups needed was merged: what is left open, no group needs (their own state, not missing).
      if (outcome === 'completed' && admission !== undefined) {
        await store.cancelUnfinished(job.id, SKIPPED_REASON);
      }
      return { outcome };
    } catch (error) {
      if (error instanceof EndpointOutage) {
        logger.error({ reason: 'unreachable', message: error.message, last: error.last.message }, LOG_EVENT.jobStop);
        return { outcome: 'unreachable', fatal: error.last, outageMs: error.outageMs };
      }
      if (!(error instanceof ProviderError) || error.code !== 'AUTH_FAILED') throw error;
      logger.error({ reason: 'auth', status: error.status, message: error.message }, LOG_EVENT.jobStop);
      return { outcome: 'auth_failed', fatal: error };
    }
  } finally {
    await handOut?.close();
    await reader.close();
  }
}
