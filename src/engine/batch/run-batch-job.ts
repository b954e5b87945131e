import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Chunk } from '../../core/chunk.ts';
import type { PreparedRequest } from '../../core/item.ts';
import type { IngestCursor, JobCounts } from '../../core/job.ts';
import { ProviderError } from '../../errors/index.ts';
import type { LineParserOptions } from '../../input/parse-input-line.ts';
import { createLineReader } from '../../input/read-line-at.ts';
import { createTokenCounter, createTokenEstimator } from '../../plan/estimate-tokens.ts';
import type { ModelPrice } from '../../plan/price-table.ts';
import type { BatchProvider, RemoteBatch } from '../../providers/provider.ts';
import { requireJob } from '../../store/require-job.ts';
import type { ChunkPatch, Store } from '../../store/store.ts';
import { systemClock, type Clock } from '../../util/clock.ts';
import { crashPoint } from '../../util/crash-point.ts';
import { isEmpty } from '../../util/is-empty.ts';
import { createLogger, type Logger } from '../../util/logger.ts';
import { ingestContext, recordUnread } from '../feed-items.ts';
import { finalizeJob } from '../finalize-job.ts';
import { openJobRun, startRun } from '../open-job-run.ts';
import type { RetrySettings } from '../retry-policy.ts';
import { FINAL_STATES, type RunJobResult, type RunOutcome } from '../run-job.ts';
import { advanceChunk, type ChunkSteps, type StepResult } from './advance-chunk.ts';
import { closeChunkWithoutResults, mergeChunk, type MergeChunkOptions, type MergeSummary } from './merge-chunk.ts';
import { openBudget, type BudgetGuard } from '../budget-guard.ts';
import { answerCost, createRequestCoster } from '../estimate-request-cost.ts';
import { planNextChunk, readItemRequests, type ChunkSource } from './plan-chunk.ts';
import { callRemote, EndpointOutage, StopRequested, type NetworkTrouble } from './remote-call.ts';
import { DEFAULT_OUTAGE_MAX_WAIT_S } from '../outage-watch.ts';
import { chunkFilePath, writeChunkFile } from './write-chunk-file.ts';

/** What batch mode needs of the resolved config (the CLI derives it). */
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

export interface BatchProgress {
  jobId: string;
  counts: JobCounts;
  chunks: readonly Chunk[];
  cancelling: boolean;
  network: NetworkTrouble | null;
  /** Set while new chunks wait because the provider's enqueued-token limit was hit. */
  tokenPauseUntil: number | null;
  elapsedMs: number;
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
}

/** The error of a line sent again because its chunk's results could not be downloaded. */
const RESULTS_UNAVAILABLE = 'batch_results_unavailable';

/** Remote-call backoff never waits longer than this, whatever `retry.max_delay_ms` says. */
const MAX_NETWORK_DELAY_MS = 60_000;

/**
 * Runs (or resumes) a job through a provider's Batch API: ingest, cut chunks, upload,
 * create, poll, download, merge, resubmit, until every item has a result. Each remote id is
 * committed before the next remote step, and a chunk whose step may have happened without
 * its id being committed is first looked for remotely (by its tag) and adopted.
 */
export async function runBatchJob(options: RunBatchJobOptions): Promise<RunJobResult> {
  const { store, provider, settings } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger();
  const startedAt = clock.now();
  const { job: initial, lease } = await openJobRun(store, options.jobId, clock);
  const stop = new AbortController();
  const onOuterAbort = (): void => stop.abort();
  if (options.signal?.aborted === true) stop.abort();
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const reader = await createLineReader(initial.inputPath);
  let fatal: ProviderError | undefined;
  try {
    const { rewriteOnly } = await startRun(store, initial, options.reopenFailed === true);
    logger.info({ jobId: initial.id, provider: provider.name }, 'batch-job-start');
    let cursor: IngestCursor = initial.cursor;
    const ingest = ingestContext(store, initial, settings, (next) => {
      cursor = next;
    });
    const { parser } = ingest;
    // The whole input is committed as items first: chunks are cut from the store, not the stream.
    await recordUnread({ ...ingest, jobId: initial.id, signal: stop.signal });

    const lines = { store, jobId: initial.id, reader, parser, provider };
    const budget = await openBatchBudget(lines, settings);
    const source: ChunkSource = {
      ...lines,
      estimateTokens: settings.maxEnqueuedTokens > 0 ? await createTokenEstimator() : null,
      costRequest: budget?.costRequest ?? null,
    };
    const loop = new BatchLoop({ ...options, clock, logger, signal: stop.signal, source, budget, startedAt });
    let outcome: RunOutcome;
    let outageMs: number | undefined;
    try {
      outcome = await loop.run();
    } catch (error) {
      if (error instanceof EndpointOutage) {
        fatal = error.last;
        outageMs = error.outageMs;
        outcome = 'unreachable';
        logger.error({ message: error.message, last: error.last.message }, 'endpoint-unreachable: job stopped');
      } else {
        if (!(error instanceof ProviderError) || error.code !== 'AUTH_FAILED') throw error;
        fatal = error;
        outcome = 'auth_failed';
        logger.error({ status: error.status, message: error.message }, 'job-auth-failed');
      }
    }
    if (!cursor.done) await recordUnread({ ...ingest, jobId: initial.id, signal: new AbortController().signal });
    const result = await finalizeJob({
      store,
      jobId: initial.id,
      finalState: FINAL_STATES[outcome],
      order: settings.order,
      limit: settings.limit,
      lease,
      keepState: rewriteOnly,
      clock,
      batch: { provider: provider.name, discount: provider.discount, chunks: await store.listChunks(initial.id) },
    });
    logger.info({ jobId: initial.id, outcome, counts: result.report.counts }, 'batch-job-end');
    if (outageMs !== undefined) return { outcome, ...result, ...(fatal === undefined ? {} : { fatal }), outageMs };
    return fatal === undefined ? { outcome, ...result } : { outcome, ...result, fatal };
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort);
    await reader.close();
    await lease.release();
    logger.flush();
  }
}

interface LoopOptions extends RunBatchJobOptions {
  clock: Clock;
  logger: Logger;
  signal: AbortSignal;
  source: ChunkSource;
  budget: BatchBudget | undefined;
  startedAt: number;
}

/**
 * `limits.budget_usd` in batch mode, at batch prices: a chunk's estimated cost is reserved
 * when it is cut (so a chunk holds only what the budget left can pay for) and released
 * when it is merged, with the real cost of its answers (their `usage`) counted as spent.
 * Open chunks of an earlier run are re-estimated from their lines.
 */
interface BatchBudget {
  guard: BudgetGuard;
  /** The estimate reserved for each open chunk. */
  reserved: Map<number, number>;
  /** The cost of one answer body at batch prices. */
  answerCost: (body: string) => number;
  /** A line's estimated cost at batch prices. */
  costRequest: (request: PreparedRequest) => number;
}

async function openBatchBudget(
  source: Pick<ChunkSource, 'store' | 'jobId' | 'reader' | 'parser' | 'provider'>,
  settings: BatchRunSettings,
): Promise<BatchBudget | undefined> {
  const { store, jobId, provider } = source;
  const prices = settings.prices ?? {};
  const guard = await openBudget(store, jobId, settings, provider.discount);
  if (guard === undefined) return undefined;
  const costOf = createRequestCoster(await createTokenCounter(), prices);
  const costRequest = (request: PreparedRequest): number => costOf(request).costUsd * provider.discount;
  const reserved = new Map<number, number>();
  for (const chunk of await store.listChunks(jobId)) {
    if (chunk.state === 'merged') continue;
    let cost = 0;
    for await (const { request } of readItemRequests(source, store.chunkItems(jobId, chunk.chunkNo))) {
      cost += costRequest(request);
    }
    // Already out: reserved whatever the budget says.
    guard.reserve(cost);
    reserved.set(chunk.chunkNo, cost);
  }
  return { guard, reserved, costRequest, answerCost: (body) => answerCost(body, prices) * provider.discount };
}

/** The state of one run of a batch job; everything that must survive the process is in the store. */
class BatchLoop {
  private readonly options: LoopOptions;
  private readonly jobId: string;
  private readonly lastPoll = new Map<number, number>();
  /** Chunks created by this process that have not tried to upload yet: no orphan can exist for them. */
  private readonly fresh = new Set<number>();
  private readonly cancelSent = new Set<number>();
  /** Chunks whose batch this run read again after their results could not be downloaded: once each. */
  private readonly rereadResults = new Set<number>();
  private network: NetworkTrouble | null = null;
  private tokenPauseUntil = 0;
  private cancelling = false;

  constructor(options: LoopOptions) {
    this.options = options;
    this.jobId = options.source.jobId;
  }

  async run(): Promise<RunOutcome> {
    const { store, settings } = this.options;
    try {
      for (;;) {
        if (this.options.signal.aborted) return 'interrupted';
        const job = await requireJob(store, this.jobId);
        this.cancelling = job.cancelRequestedAt !== null;
        let worked = false;
        for (const chunk of await store.listChunks(this.jobId)) {
          if (chunk.state !== 'merged') worked = (await this.advance(chunk)) || worked;
          else this.releaseBudget(chunk.chunkNo, 0);
        }
        if (!this.cancelling) worked = (await this.submitNewChunks()) || worked;
        const open = (await store.listChunks(this.jobId)).filter((chunk) => chunk.state !== 'merged');
        await this.report();
        if (open.length === 0) {
          if (this.cancelling) {
            await store.cancelUnfinished(this.jobId, 'cancelled');
            return 'cancelled';
          }
          if (await isEmpty(store.pendingItems(this.jobId))) return 'completed';
          if (this.options.budget?.guard.isReached === true) {
            await store.cancelUnfinished(this.jobId, 'budget');
            return 'budget';
          }
        }
        if (!worked) await this.waitForNextPoll(open, settings.pollIntervalMs);
      }
    } catch (error) {
      if (error instanceof StopRequested) return 'interrupted';
      throw error;
    }
  }

  /** Takes one chunk as far as it can go now. Returns whether anything happened. */
  private async advance(start: Chunk): Promise<boolean> {
    let worked = false;
    for (let chunk = start; ;) {
      const step = await advanceChunk(chunk, this.steps);
      if (step.kind === 'not-due') return worked;
      if (step.kind !== 'moved') return true;
      worked = true;
      chunk = step.chunk;
    }
  }

  /** The chunk steps `advanceChunk` takes, bound to this run. */
  private get steps(): ChunkSteps {
    return {
      cancelling: this.cancelling,
      usesFiles: this.options.provider.usesFiles,
      cancelUnsent: (chunk) => this.cancelUnsent(chunk),
      upload: (chunk) => this.upload(chunk),
      submit: (chunk) => this.submit(chunk),
      poll: (chunk) => this.poll(chunk),
      merge: (chunk) => this.merge(chunk),
    };
  }

  private async cancelUnsent(chunk: Chunk): Promise<StepResult> {
    await this.options.store.closeChunk(this.jobId, chunk.chunkNo, { action: 'cancel', now: this.now() });
    await this.removeChunkFile(chunk);
    return { kind: 'closed' };
  }

  private async upload(chunk: Chunk): Promise<StepResult> {
    const { provider, store } = this.options;
    const tag = { jobId: this.jobId, chunkNo: chunk.chunkNo };
    let fileId: string | null = null;
    if (!this.fresh.has(chunk.chunkNo)) {
      fileId = await this.remote(`looking for the upload of chunk ${String(chunk.chunkNo)}`, () =>
        provider.findUpload(tag),
      );
      if (fileId !== null) this.options.logger.info({ chunk: chunk.chunkNo, fileId }, 'adopted-orphan-upload');
    }
    this.fresh.delete(chunk.chunkNo);
    if (fileId === null) {
      const path = await this.ensureChunkFile(chunk);
      try {
        fileId = await this.remote(`uploading chunk ${String(chunk.chunkNo)}`, () => provider.upload(tag, path));
        crashPoint('after-upload');
      } catch (error) {
        // A refused upload (4xx) counts as a failed attempt for every line of the chunk.
        if (!(error instanceof ProviderError) || error.code === 'AUTH_FAILED') throw error;
        return this.closeRefused(chunk, error);
      }
    }
    return { kind: 'moved', chunk: await store.updateChunk(this.jobId, chunk.chunkNo, { state: 'uploaded', fileId }) };
  }

  private async submit(chunk: Chunk): Promise<StepResult> {
    const { provider, store } = this.options;
    const tag = { jobId: this.jobId, chunkNo: chunk.chunkNo };
    let remote: RemoteBatch | null = null;
    let current = chunk;
    if (current.submitStartedAt === null) {
      // Committed before the create call: from here on, a batch for this tag may exist remotely.
      current = await store.updateChunk(this.jobId, chunk.chunkNo, { submitStartedAt: this.now() });
    } else {
      const since = current.submitStartedAt;
      const claimed = new Set(
        (await store.listChunks(this.jobId)).flatMap((other) => (other.batchId === null ? [] : [other.batchId])),
      );
      remote = await this.remote(`looking for the batch of chunk ${String(chunk.chunkNo)}`, () =>
        provider.findBatch(tag, { since, lineCount: current.itemCount, claimed }),
      );
      if (remote !== null)
        this.options.logger.info({ chunk: chunk.chunkNo, batchId: remote.id }, 'adopted-orphan-batch');
    }
    if (remote === null) {
      const path = provider.usesFiles
        ? chunkFilePath(this.options.workDir, chunk.chunkNo)
        : await this.ensureChunkFile(current);
      try {
        remote = await this.remote(`creating the batch of chunk ${String(chunk.chunkNo)}`, () =>
          provider.createBatch(tag, { fileId: current.fileId, path, lineCount: current.itemCount, url: current.url }),
        );
        crashPoint('after-create');
      } catch (error) {
        if (!(error instanceof ProviderError) || error.code === 'AUTH_FAILED') throw error;
        return this.closeRefused(current, error);
      }
    }
    const now = this.now();
    this.lastPoll.set(chunk.chunkNo, now);
    const submitted = await store.updateChunk(this.jobId, chunk.chunkNo, {
      state: 'submitted',
      batchId: remote.id,
      rawStatus: remote.rawStatus,
      counts: remote.counts,
      submittedAt: now,
    });
    await this.removeChunkFile(chunk);
    this.options.logger.info({ chunk: chunk.chunkNo, batchId: remote.id, items: chunk.itemCount }, 'chunk-submitted');
    return { kind: 'moved', chunk: remote.end === null ? submitted : await this.recordEnd(submitted, remote) };
  }

  /** Polls a submitted chunk when its turn has come. */
  private async poll(chunk: Chunk): Promise<StepResult> {
    const { provider, settings } = this.options;
    const batchId = chunk.batchId ?? '';
    if (this.cancelling && !this.cancelSent.has(chunk.chunkNo)) {
      this.cancelSent.add(chunk.chunkNo);
      const remote = await this.remote(`cancelling batch ${batchId}`, () => provider.cancelBatch(batchId)).catch(
        (error: unknown) => {
          // A batch that ended meanwhile cannot be cancelled; polling tells.
          if (error instanceof ProviderError && error.code !== 'AUTH_FAILED') return null;
          throw error;
        },
      );
      this.options.logger.info({ chunk: chunk.chunkNo, batchId }, 'batch-cancel-requested');
      if (remote !== null) this.lastPoll.delete(chunk.chunkNo);
    }
    const last = this.lastPoll.get(chunk.chunkNo);
    if (last !== undefined && this.now() - last < settings.pollIntervalMs) return { kind: 'not-due' };
    let remote: RemoteBatch;
    try {
      remote = await this.remote(`polling batch ${batchId}`, () => provider.getBatch(batchId));
    } catch (error) {
      if (!(error instanceof ProviderError) || error.code === 'AUTH_FAILED') throw error;
      // The batch is gone (404): what it held is resubmitted.
      const ended = await this.recordEnd(chunk, {
        id: batchId,
        rawStatus: `unreadable: ${error.message}`,
        end: 'failed',
        counts: chunk.counts ?? { total: chunk.itemCount, completed: 0, failed: 0 },
        errors: [{ code: error.causeLabel, message: error.message }],
        resultRefs: {},
        createdAt: chunk.submittedAt ?? chunk.createdAt,
      });
      return { kind: 'moved', chunk: ended };
    }
    this.lastPoll.set(chunk.chunkNo, this.now());
    crashPoint('after-poll');
    if (remote.end !== null) return { kind: 'moved', chunk: await this.recordEnd(chunk, remote) };
    if (remote.rawStatus !== chunk.rawStatus || !sameCounts(remote, chunk)) {
      await this.options.store.updateChunk(this.jobId, chunk.chunkNo, {
        rawStatus: remote.rawStatus,
        counts: remote.counts,
      });
    }
    return { kind: 'waiting' };
  }

  private async recordEnd(chunk: Chunk, remote: RemoteBatch): Promise<Chunk> {
    const patch: ChunkPatch = {
      state: 'ended',
      rawStatus: remote.rawStatus,
      counts: remote.counts,
      end: remote.end,
      errors: remote.errors,
      resultRefs: remote.resultRefs,
      endedAt: this.now(),
    };
    this.options.logger.info({ chunk: chunk.chunkNo, status: remote.rawStatus, counts: remote.counts }, 'chunk-ended');
    return this.options.store.updateChunk(this.jobId, chunk.chunkNo, patch);
  }

  /**
   * Downloads and merges an ended chunk's results. When they cannot be had (the result file or the batch is gone, as
   * after a crash against a provider that dropped them), the batch is read once more for fresh result references; if
   * it has none that work, the chunk is closed and its open lines go into a new chunk (see `closeChunkWithoutResults`).
   */
  private async merge(chunk: Chunk): Promise<StepResult> {
    const { store, provider, settings, logger } = this.options;
    const answerCost = this.options.budget?.answerCost;
    const merge: MergeChunkOptions = {
      store,
      provider,
      chunk,
      retry: settings.retry,
      cancelling: this.cancelling,
      now: () => this.now(),
      ...(answerCost === undefined ? {} : { answerCost }),
    };
    let summary: MergeSummary;
    try {
      summary = await this.remote(`downloading the results of chunk ${String(chunk.chunkNo)}`, () => mergeChunk(merge));
    } catch (error) {
      if (!(error instanceof ProviderError) || error.code === 'AUTH_FAILED') throw error;
      const reread = this.rereadResults.has(chunk.chunkNo) ? null : await this.rereadBatch(chunk);
      this.rereadResults.add(chunk.chunkNo);
      if (reread !== null) return { kind: 'moved', chunk: reread };
      logger.warn(
        { chunk: chunk.chunkNo, batchId: chunk.batchId, message: error.message },
        'chunk-results-unavailable',
      );
      summary = await closeChunkWithoutResults(merge, {
        code: RESULTS_UNAVAILABLE,
        message: `the results of batch ${chunk.batchId ?? '?'} could not be had (${error.message}); sent again`,
        ...(error.status === undefined ? {} : { status: error.status }),
      });
    }
    this.releaseBudget(chunk.chunkNo, summary.costUsd);
    this.lastPoll.delete(chunk.chunkNo);
    if (summary.tokenLimited) {
      // Back off new submissions until a poll interval has passed (or another chunk ended meanwhile).
      this.tokenPauseUntil = this.now() + settings.pollIntervalMs;
      logger.warn({ chunk: chunk.chunkNo }, 'enqueued-token-limit: chunk put back, submissions paused');
    }
    if (summary.unreadable.lines > 0) {
      const message = `batch ${chunk.batchId ?? '?'} (chunk ${String(chunk.chunkNo)}): ${String(summary.unreadable.lines)} result line(s) could not be read, e.g. ${summary.unreadable.first ?? '?'}; their items are sent again (or fail once out of attempts)`;
      logger.warn({ chunk: chunk.chunkNo, unreadable: summary.unreadable }, 'result-lines-unreadable');
      this.options.onNotice?.(message);
    }
    logger.info({ chunk: chunk.chunkNo, ...summary }, 'chunk-merged');
    return { kind: 'closed' };
  }

  /** The batch of an ended chunk read again; the chunk with new result references, or null when there are none. */
  private async rereadBatch(chunk: Chunk): Promise<Chunk | null> {
    const batchId = chunk.batchId;
    if (batchId === null) return null;
    const remote = await this.remote(`reading batch ${batchId} again`, () =>
      this.options.provider.getBatch(batchId),
    ).catch((error: unknown) => {
      if (error instanceof ProviderError && error.code !== 'AUTH_FAILED') return null;
      throw error;
    });
    if (remote === null || remote.end === null) return null;
    if (JSON.stringify(remote.resultRefs) === JSON.stringify(chunk.resultRefs ?? {})) return null;
    this.options.logger.info({ chunk: chunk.chunkNo, resultRefs: remote.resultRefs }, 'chunk-results-reread');
    return this.options.store.updateChunk(this.jobId, chunk.chunkNo, {
      rawStatus: remote.rawStatus,
      counts: remote.counts,
      end: remote.end,
      errors: remote.errors,
      resultRefs: remote.resultRefs,
    });
  }

  private tellNotices(): void {
    for (const message of this.options.provider.takeNotices?.() ?? []) {
      this.options.logger.warn({ notice: message }, 'provider-notice');
      this.options.onNotice?.(message);
    }
  }

  private budgetReached(): void {
    const guard = this.options.budget?.guard;
    if (guard === undefined || guard.isReached) return;
    guard.markReached();
    this.options.logger.warn({ limitUsd: guard.limitUsd, spentUsd: guard.spentUsd }, 'budget-reached: no new chunks');
  }

  /** A chunk is done: its estimate is no longer reserved, and its answers' real cost is spent. */
  private releaseBudget(chunkNo: number, spentUsd: number): void {
    const budget = this.options.budget;
    if (budget === undefined) return;
    const estimate = budget.reserved.get(chunkNo);
    if (estimate === undefined && spentUsd === 0) return;
    budget.guard.settle(estimate ?? 0, spentUsd);
    budget.reserved.delete(chunkNo);
  }

  /** Cuts and submits new chunks while `batch.max_concurrent`, the token limit and the budget allow. */
  private async submitNewChunks(): Promise<boolean> {
    const { store, settings, provider, budget } = this.options;
    let worked = false;
    for (;;) {
      if (this.options.signal.aborted || this.now() < this.tokenPauseUntil) return worked;
      if (budget?.guard.isReached === true) return worked;
      const open = (await store.listChunks(this.jobId)).filter((chunk) => chunk.state !== 'merged');
      if (open.length >= settings.maxConcurrent) return worked;
      let maxTokens = 0;
      if (settings.maxEnqueuedTokens > 0) {
        maxTokens = settings.maxEnqueuedTokens - open.reduce((sum, chunk) => sum + chunk.tokens, 0);
        // Full budget: wait for an open chunk to end. An empty pipeline always takes one chunk.
        if (maxTokens <= 0 && open.length > 0) return worked;
        maxTokens = Math.max(1, maxTokens);
      }
      const planned = await planNextChunk(this.options.source, {
        maxRequests: settings.chunkMaxRequests ?? provider.limits.maxRequests,
        maxBytes: settings.chunkMaxBytes ?? provider.limits.maxBytes,
        maxTokens,
        maxCostUsd: budget?.guard.remainingUsd ?? Number.POSITIVE_INFINITY,
      });
      this.tellNotices();
      if (planned === null) return worked;
      if (planned.seqs.length === 0) {
        // Nothing affordable now. While chunks are out their answers may cost less than reserved: wait for them.
        if (open.length === 0) this.budgetReached();
        return worked;
      }
      const chunk = await store.createChunk(
        this.jobId,
        { bytes: planned.bytes, tokens: planned.tokens, url: planned.url, model: planned.model, now: this.now() },
        planned.seqs,
      );
      this.fresh.add(chunk.chunkNo);
      if (budget !== undefined) {
        budget.guard.reserve(planned.costUsd);
        budget.reserved.set(chunk.chunkNo, planned.costUsd);
        // The chunk that fills the budget is the last: a tail of ever smaller batches, each of which may take
        // hours, would drag the job on for the little that estimates above real costs leave over.
        if (planned.budgetStop) this.budgetReached();
      }
      this.options.logger.info({ chunk: chunk.chunkNo, items: chunk.itemCount, bytes: chunk.bytes }, 'chunk-planned');
      await this.advance(chunk);
      worked = true;
    }
  }

  private async closeRefused(chunk: Chunk, error: ProviderError): Promise<StepResult> {
    const { store, settings, logger } = this.options;
    logger.warn({ chunk: chunk.chunkNo, message: error.message }, 'chunk-refused');
    await store.closeChunk(this.jobId, chunk.chunkNo, {
      action: 'resubmit',
      countAttempt: true,
      maxAttempts: settings.retry.maxAttempts,
      error: {
        code: error.causeLabel,
        message: error.message,
        ...(error.status === undefined ? {} : { status: error.status }),
      },
      now: this.now(),
    });
    await this.removeChunkFile(chunk);
    return { kind: 'closed' };
  }

  private async ensureChunkFile(chunk: Chunk): Promise<string> {
    const path = chunkFilePath(this.options.workDir, chunk.chunkNo);
    if (!existsSync(path)) await writeChunkFile(this.options.source, chunk.chunkNo, path);
    return path;
  }

  private async removeChunkFile(chunk: Chunk): Promise<void> {
    await rm(chunkFilePath(this.options.workDir, chunk.chunkNo), { force: true });
  }

  private async remote<T>(step: string, call: () => Promise<T>): Promise<T> {
    const { settings } = this.options;
    return callRemote(step, call, {
      signal: this.options.signal,
      maxOutageMs: settings.outageMaxWaitMs ?? DEFAULT_OUTAGE_MAX_WAIT_S.batch * 1000,
      baseDelayMs: Math.max(1, settings.retry.baseDelayMs),
      maxDelayMs: Math.min(MAX_NETWORK_DELAY_MS, Math.max(1, settings.retry.maxDelayMs)),
      now: () => this.now(),
      onTrouble: (trouble) => {
        this.network = trouble;
        if (trouble !== null) this.options.logger.warn({ ...trouble }, 'provider-unreachable');
        void this.report();
      },
    });
  }

  private async waitForNextPoll(open: readonly Chunk[], intervalMs: number): Promise<void> {
    const now = this.now();
    let wake = now + intervalMs;
    for (const chunk of open) {
      const last = this.lastPoll.get(chunk.chunkNo);
      wake = Math.min(wake, last === undefined ? now : last + intervalMs);
    }
    if (this.tokenPauseUntil > now) wake = Math.min(wake, this.tokenPauseUntil);
    const delay = Math.max(20, wake - now);
    try {
      await sleep(delay, undefined, { signal: this.options.signal });
    } catch {
      // Stopped: the loop sees the signal.
    }
  }

  private async report(): Promise<void> {
    const report = this.options.onProgress;
    if (report === undefined) return;
    const { store } = this.options;
    report({
      jobId: this.jobId,
      counts: await store.counts(this.jobId),
      chunks: await store.listChunks(this.jobId),
      cancelling: this.cancelling,
      network: this.network,
      tokenPauseUntil: this.tokenPauseUntil > this.now() ? this.tokenPauseUntil : null,
      elapsedMs: this.now() - this.options.startedAt,
    });
  }

  private now(): number {
    return this.options.clock.now();
  }
}

function sameCounts(remote: RemoteBatch, chunk: Chunk): boolean {
  const counts = chunk.counts;
  return (
    counts !== null &&
    counts.total === remote.counts.total &&
    counts.completed === remote.counts.completed &&
    counts.failed === remote.counts.failed
  );
}
