import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Chunk, SubmittedChunk } from '../../core/chunk.ts';
import { ProviderError } from '../../errors/index.ts';
import type { BatchInput, BatchProvider, RemoteBatch } from '../../providers/provider.ts';
import type { ChunkPatch, ChunkStore } from '../../store/store.ts';
import type { Clock } from '../../util/clock.ts';
import { crashPoint } from '../../util/crash-point.ts';
import type { Logger } from '../../util/logger.ts';
import { DEFAULT_OUTAGE_MAX_WAIT_S } from '../outage-watch.ts';
import type { RetrySettings } from '../retry-policy.ts';
import type { ChunkHandlers, ChunkStep } from './advance-chunk.ts';
import type { BatchBudget } from './batch-budget.ts';
import { closeChunkWithoutResults, mergeChunk, type MergeChunkOptions, type MergeSummary } from './merge-chunk.ts';
import type { ChunkSource } from './plan-chunk.ts';
import { callRemote, type NetworkTrouble } from './remote-call.ts';
import { chunkFilePath, writeChunkFile } from './write-chunk-file.ts';
import { LOG_EVENT } from '../../util/log-event.ts';

export interface ChunkStepsOptions {
  jobId: string;
  /** Where the chunk's steps are committed: the store, or (a worker's) writes fenced by its lease on the chunk. */
  store: ChunkStore;
  provider: BatchProvider;
  settings: { retry: RetrySettings; pollIntervalMs: number; outageMaxWaitMs?: number | undefined };
  /** Where chunk files are written before upload: the job's folder in the workspace. */
  workDir: string;
  source: ChunkSource;
  budget: BatchBudget | undefined;
  clock: Clock;
  logger: Logger;
  signal: AbortSignal;
  /** The batch ids committed for the job's chunks now: an orphan found by shape is never one of them. */
  claimedBatchIds: () => ReadonlySet<string>;
  /** Told of every change of network trouble (a failed try to be retried; null: through again). */
  onTrouble: (trouble: NetworkTrouble | null) => void;
  /** Told each provider notice once; it is logged too. */
  onNotice?: ((message: string) => void) | undefined;
}

/** The error of a line sent again because its chunk's results could not be downloaded. */
const RESULTS_UNAVAILABLE = 'batch_results_unavailable';

/** Remote-call backoff never waits longer than this, whatever `retry.max_delay_ms` says. */
const MAX_NETWORK_DELAY_MS = 60_000;

/**
 * The steps `advanceChunk` takes, bound to one run of a batch job, and what that run remembers between them. The
 * memory only saves remote calls and waiting: everything that must survive the process is in the store.
 */
export class ChunkSteps implements ChunkHandlers {
  /** Set by the loop at the start of each turn. */
  cancelling = false;
  /** Set while new chunks wait because the provider's enqueued-token limit was hit (clock ms; 0: none). */
  tokenPauseUntil = 0;
  /** What the run is waiting on while the provider cannot be reached. */
  network: NetworkTrouble | null = null;

  private readonly options: ChunkStepsOptions;
  private readonly jobId: string;
  private readonly lastPoll = new Map<number, number>();
  /** Chunks created by this process that have not tried to upload yet: no orphan can exist for them. */
  private readonly fresh = new Set<number>();
  private readonly cancelSent = new Set<number>();
  /** Chunks whose batch this run read again after their results could not be downloaded: once each. */
  private readonly rereadResults = new Set<number>();

  constructor(options: ChunkStepsOptions) {
    this.options = options;
    this.jobId = options.jobId;
  }

  /** A chunk this process just cut: nothing of it can exist remotely. */
  markFresh(chunkNo: number): void {
    this.fresh.add(chunkNo);
  }

  /** When a submitted chunk is due for its next poll (clock ms; now for one never polled by this run). */
  nextPollAt(chunkNo: number): number {
    const last = this.lastPoll.get(chunkNo);
    return last === undefined ? this.now() : last + this.options.settings.pollIntervalMs;
  }

  async closeUnsent(chunk: Chunk): Promise<ChunkStep> {
    await this.options.store.closeChunk(this.jobId, chunk.chunkNo, { kind: 'cancel', now: this.now() });
    await this.removeChunkFile(chunk);
    return { kind: 'closed' };
  }

  async requestCancel(chunk: SubmittedChunk): Promise<void> {
    if (this.cancelSent.has(chunk.chunkNo)) return;
    this.cancelSent.add(chunk.chunkNo);
    const { batchId } = chunk;
    const accepted = await this.remote(`cancelling batch ${batchId}`, () =>
      this.options.provider.cancelBatch(batchId),
    ).then(
      () => true,
      (error: unknown) => {
        // A batch that ended meanwhile cannot be cancelled; polling tells.
        if (error instanceof ProviderError && error.code !== 'AUTH_FAILED') return false;
        throw error;
      },
    );
    this.options.logger.info({ chunk: chunk.chunkNo, batchId }, LOG_EVENT.chunkCancel);
    if (accepted) this.lastPoll.delete(chunk.chunkNo);
  }

  async prepare(chunk: Chunk): Promise<ChunkStep> {
    const { provider, store } = this.options;
    const tag = { jobId: this.jobId, chunkNo: chunk.chunkNo };
    let input: BatchInput | null = null;
    if (!this.fresh.has(chunk.chunkNo)) {
      const fileId = await this.remote(`looking for the upload of chunk ${String(chunk.chunkNo)}`, () =>
        provider.findUpload(tag),
      );
      if (fileId !== null) {
        this.options.logger.info({ chunk: chunk.chunkNo, fileId }, LOG_EVENT.uploadAdopt);
        input = { kind: 'file', fileId };
      }
    }
    this.fresh.delete(chunk.chunkNo);
    if (input === null) {
      const path = await this.ensureChunkFile(chunk);
      try {
        input = await this.remote(`uploading chunk ${String(chunk.chunkNo)}`, () => provider.prepareInput(tag, path));
      } catch (error) {
        // A refused upload (4xx) counts as a failed attempt for every line of the chunk.
        if (!(error instanceof ProviderError) || error.code === 'AUTH_FAILED') throw error;
        return this.closeRefused(chunk, error);
      }
      if (input.kind === 'file') crashPoint('after-upload');
    }
    // Providers that take requests inline (Anthropic) go from planned straight to creating the batch.
    if (input.kind === 'inline') return this.create(chunk, input);
    const uploaded = await store.updateChunk(this.jobId, chunk.chunkNo, { state: 'uploaded', fileId: input.fileId });
    return { kind: 'moved', chunk: uploaded };
  }

  async submit(chunk: Chunk): Promise<ChunkStep> {
    const { fileId } = chunk;
    if (fileId === null) throw new Error(`chunk ${String(chunk.chunkNo)} is uploaded without a file id`);
    return this.create(chunk, { kind: 'file', fileId });
  }

  /** Creates the batch of a chunk from its prepared input, or adopts the one a crash left uncommitted. */
  private async create(chunk: Chunk, input: BatchInput): Promise<ChunkStep> {
    const { provider, store } = this.options;
    const tag = { jobId: this.jobId, chunkNo: chunk.chunkNo };
    let remote: RemoteBatch | null = null;
    let current = chunk;
    if (current.submitStartedAt === null) {
      // Committed before the create call: from here on, a batch for this tag may exist remotely.
      current = await store.updateChunk(this.jobId, chunk.chunkNo, { submitStartedAt: this.now() });
    } else {
      const since = current.submitStartedAt;
      const claimed = this.options.claimedBatchIds();
      remote = await this.remote(`looking for the batch of chunk ${String(chunk.chunkNo)}`, () =>
        provider.findBatch(tag, { since, lineCount: current.itemCount, claimed }),
      );
      if (remote !== null) this.options.logger.info({ chunk: chunk.chunkNo, batchId: remote.id }, LOG_EVENT.batchAdopt);
    }
    if (remote === null) {
      try {
        remote = await this.remote(`creating the batch of chunk ${String(chunk.chunkNo)}`, () =>
          provider.createBatch(tag, { ...input, lineCount: current.itemCount, url: current.url }),
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
    this.options.logger.info(
      { chunk: chunk.chunkNo, batchId: remote.id, items: chunk.itemCount },
      LOG_EVENT.chunkSubmit,
    );
    return { kind: 'moved', chunk: remote.end === null ? submitted : await this.recordEnd(submitted, remote) };
  }

  async poll(chunk: SubmittedChunk): Promise<ChunkStep> {
    const { provider } = this.options;
    const { batchId } = chunk;
    if (this.now() < this.nextPollAt(chunk.chunkNo)) return { kind: 'not-due' };
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
    if (remote.rawStatus === chunk.rawStatus && sameCounts(remote, chunk)) return { kind: 'waiting', chunk };
    await this.options.store.updateChunk(this.jobId, chunk.chunkNo, {
      rawStatus: remote.rawStatus,
      counts: remote.counts,
    });
    return { kind: 'waiting', chunk: { ...chunk, rawStatus: remote.rawStatus, counts: remote.counts } };
  }

  /**
   * Downloads and merges an ended chunk's results. When they cannot be had (the result file or the batch is gone, as
   * after a crash against a provider that dropped them), the batch is read once more for fresh result references; if
   * it has none that work, the chunk is closed and its open lines go into a new chunk (see `closeChunkWithoutResults`).
   */
  async merge(chunk: SubmittedChunk): Promise<ChunkStep> {
    const { store, provider, settings, logger, budget } = this.options;
    const merge: MergeChunkOptions = {
      store,
      provider,
      chunk,
      retry: settings.retry,
      cancelling: this.cancelling,
      now: () => this.now(),
      ...(budget === undefined ? {} : { answerCost: budget.answerCost }),
      review: this.options.source.review,
    };
    let summary: MergeSummary;
    try {
      summary = await this.remote(`downloading the results of chunk ${String(chunk.chunkNo)}`, () => mergeChunk(merge));
    } catch (error) {
      if (!(error instanceof ProviderError) || error.code === 'AUTH_FAILED') throw error;
      if (!this.rereadResults.has(chunk.chunkNo)) {
        this.rereadResults.add(chunk.chunkNo);
        const reread = await this.rereadBatch(chunk);
        if (reread !== undefined) return { kind: 'moved', chunk: reread };
      }
      logger.warn({ chunk: chunk.chunkNo, batchId: chunk.batchId, message: error.message }, LOG_EVENT.chunkResultsMiss);
      summary = await closeChunkWithoutResults(merge, {
        code: RESULTS_UNAVAILABLE,
        message: `the results of batch ${chunk.batchId} could not be had (${error.message}); sent again`,
        ...(error.status === undefined ? {} : { status: error.status }),
      });
    }
    budget?.release(chunk.chunkNo, summary.costUsd);
    this.lastPoll.delete(chunk.chunkNo);
    if (summary.tokenLimited) {
      // Back off new submissions until a poll interval has passed (or another chunk ended meanwhile).
      this.tokenPauseUntil = this.now() + settings.pollIntervalMs;
      logger.warn({ chunk: chunk.chunkNo, reason: 'enqueued-token-limit' }, LOG_EVENT.chunkDefer);
    }
    if (summary.unreadable.lines > 0) {
      const message = `batch ${chunk.batchId} (chunk ${String(chunk.chunkNo)}): ${String(summary.unreadable.lines)} result line(s) could not be read, e.g. ${summary.unreadable.first ?? '?'}; their items are sent again (or fail once out of attempts)`;
      logger.warn({ chunk: chunk.chunkNo, unreadable: summary.unreadable }, LOG_EVENT.resultLinesSkip);
      this.options.onNotice?.(message);
    }
    logger.info({ chunk: chunk.chunkNo, ...summary }, LOG_EVENT.chunkMerge);
    return { kind: 'closed' };
  }

  /** Tells what the provider said it does not send of the lines it encoded (each notice comes once). */
  tellNotices(notices: readonly string[]): void {
    for (const message of notices) {
      this.options.logger.warn({ notice: message }, LOG_EVENT.providerWarn);
      this.options.onNotice?.(message);
    }
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
    this.options.logger.info(
      { chunk: chunk.chunkNo, status: remote.rawStatus, counts: remote.counts },
      LOG_EVENT.chunkEnd,
    );
    return this.options.store.updateChunk(this.jobId, chunk.chunkNo, patch);
  }

  /** The batch of an ended chunk read again: the chunk with new result references, or undefined when it has none. */
  private async rereadBatch(chunk: SubmittedChunk): Promise<Chunk | undefined> {
    const { batchId } = chunk;
    const remote = await this.remote(`reading batch ${batchId} again`, () =>
      this.options.provider.getBatch(batchId),
    ).catch((error: unknown) => {
      if (error instanceof ProviderError && error.code !== 'AUTH_FAILED') return undefined;
      throw error;
    });
    if (remote === undefined || remote.end === null) return undefined;
    if (JSON.stringify(remote.resultRefs) === JSON.stringify(chunk.resultRefs ?? {})) return undefined;
    this.options.logger.info({ chunk: chunk.chunkNo, resultRefs: remote.resultRefs }, LOG_EVENT.chunkReread);
    return this.options.store.updateChunk(this.jobId, chunk.chunkNo, {
      rawStatus: remote.rawStatus,
      counts: remote.counts,
      end: remote.end,
      errors: remote.errors,
      resultRefs: remote.resultRefs,
    });
  }

  /** A create or upload the provider refused (4xx): every line of the chunk has failed one attempt. */
  private async closeRefused(chunk: Chunk, error: ProviderError): Promise<ChunkStep> {
    const { store, settings, logger } = this.options;
    logger.warn({ chunk: chunk.chunkNo, message: error.message }, LOG_EVENT.chunkRefuse);
    await store.closeChunk(this.jobId, chunk.chunkNo, {
      kind: 'resubmit',
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
    if (!existsSync(path)) this.tellNotices((await writeChunkFile(this.options.source, chunk.chunkNo, path)).notices);
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
        if (trouble !== null) this.options.logger.warn({ ...trouble }, LOG_EVENT.endpointRetry);
        this.options.onTrouble(trouble);
      },
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
