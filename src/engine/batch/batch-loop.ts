import { setTimeout as sleep } from 'node:timers/promises';
import { isOpenChunk, type Chunk } from '../../core/chunk.ts';
import { TOKEN_LIMIT_ERROR } from '../../providers/provider.ts';
import type { Store } from '../../store/store.ts';
import type { JobCounts } from '../../core/job.ts';
import { requireJob } from '../../store/require-job.ts';
import type { RunOutcome } from '../run-outcome.ts';
import { advanceChunk } from './advance-chunk.ts';
import type { ChunkHandOut } from './chunk-hand-out.ts';
import { ChunkSteps, type ChunkStepsOptions } from './chunk-steps.ts';
import { planNextChunk, type ChunkLimits, type PlannedChunk } from './plan-chunk.ts';
import { ChunkFileDraft } from './chunk-file-draft.ts';
import { StopRequested, type NetworkTrouble } from './remote-call.ts';
import type { WaveAdmission } from './wave-admission.ts';
import { isEmpty } from '../../util/is-empty.ts';
import { LOG_EVENT } from '../../util/log-event.ts';

/*
 * The batch loop: one run of a batch job, as a sequence of turns.
 *
 * A turn has six phases, in order:
 *
 * 1. READ:    the job (has a cancel been asked for?) and the job's chunks, listed once. From here the turn keeps its
 *             own view of the chunks: the listed records, with each step's commit applied as it happens.
 * 2. ADVANCE: every open chunk goes as far as it can now (`advanceChunk`: one step per committed state until it
 *             waits for the provider, is not due, or closes). A closed chunk's budget estimate is released.
 *             With admission by need, a turn in which a chunk closed asks the policy for its next wave
 *             (`WaveAdmission.refresh`; docs/decisions/0028), and only admitted items are cut.
 * 3. CUT:     unless cancelling, new chunks are cut from the pending items while `batch.max_concurrent`, the
 *             enqueued-token limit (and its pause after a `token_limit_exceeded`) and the budget allow. They are
 *             committed as planned and advanced on the next turn, never in this one.
 * 4. REPORT:  progress, from the turn's view.
 * 5. DECIDE:  with no open chunk the job has ended: `cancelled` when cancelling, `completed` when nothing is
 *             pending (with admission: nothing admitted is pending, and the policy admits no more), `budget` when the
 *             budget stops what is; else the loop goes on.
 * 6. WAIT:    if no phase did anything, sleep until the next poll is due (or the token pause ends); a stop wakes it.
 *
 * With a `ChunkHandOut` (a shared store, docs/decisions/0034), phase 2 advances nothing here: each chunk cut in phase 3
 * is handed out, its holder (a worker, or this process's own share of the work) runs its steps, and the turn sees it
 * closed once the store lists it merged; a stop a holder recorded ends the run; phase 6 waits `watchMs`.
 *
 * A stop (Ctrl-C, an outer signal) ends the loop at the next phase boundary or remote retry as `interrupted`;
 * remote batches keep running and a later run collects them. Everything that must survive the process is in the
 * store; the loop's own memory (`ChunkSteps`: poll times, chunks cut by this process, cancels sent) only saves
 * remote calls and waiting.
 */

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

export interface BatchLoopOptions extends Omit<
  ChunkStepsOptions,
  'store' | 'settings' | 'claimedBatchIds' | 'onTrouble'
> {
  store: Store;
  settings: ChunkStepsOptions['settings'] & {
    /** Config overrides of the provider's per-batch limits; undefined = the provider's. */
    chunkMaxRequests: number | undefined;
    chunkMaxBytes: number | undefined;
    maxConcurrent: number;
    maxEnqueuedTokens: number;
  };
  startedAt: number;
  onProgress?: ((progress: BatchProgress) => void) | undefined;
  /** Admission by need, asked in waves (docs/decisions/0028); started already. Unset: every pending item is cut. */
  admission?: WaveAdmission | undefined;
  /** Chunks worked elsewhere (see the design block); started already. Unset: this loop advances every chunk. */
  handOut?: ChunkHandOut | undefined;
}

/** The loop of one run of a batch job (see the design block above). */
export class BatchLoop {
  private readonly options: BatchLoopOptions;
  private readonly steps: ChunkSteps;
  /** The turn's view of the job's chunks, by number (phase 1). */
  private view = new Map<number, Chunk>();

  constructor(options: BatchLoopOptions) {
    this.options = options;
    this.steps = new ChunkSteps({
      ...options,
      claimedBatchIds: () => this.claimedBatchIds(),
      onTrouble: () => void this.report(),
    });
  }

  /** The batch ids the view holds: committed for one of the job's chunks. */
  private claimedBatchIds(): ReadonlySet<string> {
    return new Set([...this.view.values()].flatMap((chunk) => (chunk.batchId === null ? [] : [chunk.batchId])));
  }

  /** Runs turns until the job ends or the run stops. Remote failures other than a stop are the caller's. */
  async run(): Promise<RunOutcome> {
    try {
      for (;;) {
        const outcome = await this.turn();
        if (outcome !== null) return outcome;
      }
    } catch (error) {
      if (error instanceof StopRequested) return 'interrupted';
      throw error;
    }
  }

  /** One turn; the outcome once the job has ended, else null. */
  private async turn(): Promise<RunOutcome | null> {
    const { store, jobId, signal } = this.options;
    const { steps } = this;
    if (signal.aborted) return 'interrupted';

    // 1. READ
    steps.cancelling = (await requireJob(store, jobId)).cancelRequestedAt !== null;
    const before = this.view;
    this.view = new Map((await store.listChunks(jobId)).map((chunk) => [chunk.chunkNo, chunk]));

    // 2. ADVANCE
    let worked = false;
    let closed = false;
    const { handOut } = this.options;
    if (handOut !== undefined) {
      await handOut.watch();
      closed = await this.seeHandedOutClose(handOut, before);
      worked = closed;
    }
    for (const chunk of handOut === undefined ? this.openChunks() : []) {
      const advanced = await advanceChunk(chunk, steps);
      worked ||= advanced.worked;
      if (advanced.chunk !== null) {
        this.view.set(chunk.chunkNo, advanced.chunk);
      } else {
        // Closed: merged in the store. The view marks it so until the next turn lists it.
        this.view.set(chunk.chunkNo, { ...chunk, state: 'merged' });
        this.options.budget?.release(chunk.chunkNo, 0);
        closed = true;
      }
    }
    if (closed) await this.options.admission?.refresh();

    // 3. CUT
    if (!steps.cancelling) worked = (await this.cutChunks()) || worked;

    // 4. REPORT
    await this.report();

    // 5. DECIDE
    const open = this.openChunks();
    if (open.length === 0) {
      if (steps.cancelling) return 'cancelled';
      const { admission } = this.options;
      if (
        admission === undefined ? await isEmpty(store.pendingItems(jobId)) : !(await admission.hasAdmittedPending())
      ) {
        return 'completed';
      }
      if (this.options.budget?.isReached === true) return 'budget';
    }

    // 6. WAIT
    if (!worked) await this.waitForNextPoll(open);
    return null;
  }

  /**
   * Phase 2 with a hand-out: the chunks open in the last turn's view that the store now lists merged closed since.
   * Its estimate is released and the answers it got are spent, as its merge does in one process; one whose batch failed
   * on the enqueued-token limit pauses new chunks.
   */
  private async seeHandedOutClose(handOut: ChunkHandOut, before: ReadonlyMap<number, Chunk>): Promise<boolean> {
    const { budget } = this.options;
    let closed = false;
    for (const [chunkNo, earlier] of before) {
      const now = this.view.get(chunkNo);
      if (!isOpenChunk(earlier) || now === undefined || isOpenChunk(now)) continue;
      closed = true;
      if (budget !== undefined) {
        let spentUsd = 0;
        for await (const body of handOut.closedAnswers(chunkNo)) spentUsd += budget.answerCost(body);
        budget.release(chunkNo, spentUsd);
      }
      if (now.end === 'failed' && now.errors.some((error) => error.code === TOKEN_LIMIT_ERROR)) {
        this.steps.tokenPauseUntil = this.now() + this.options.settings.pollIntervalMs;
      }
    }
    return closed;
  }

  /** The open chunks of the view, in chunk order. */
  private openChunks(): Chunk[] {
    return [...this.view.values()].filter(isOpenChunk);
  }

  /** Cuts new chunks while `batch.max_concurrent`, the token limit and the budget allow. Returns whether it cut one. */
  private async cutChunks(): Promise<boolean> {
    const { settings, provider, budget, logger } = this.options;
    const { steps } = this;
    const { admission } = this.options;
    let worked = false;
    // With admission, a scan of the pending items only when a wave or a merge may have left admitted ones there.
    if (admission?.mayCut === false) return false;
    for (;;) {
      if (this.options.signal.aborted || this.now() < steps.tokenPauseUntil) return worked;
      if (budget?.isReached === true) return worked;
      const open = this.openChunks();
      if (open.length >= settings.maxConcurrent) return worked;
      let maxTokens = 0;
      if (settings.maxEnqueuedTokens > 0) {
        maxTokens = settings.maxEnqueuedTokens - open.reduce((sum, chunk) => sum + chunk.tokens, 0);
        // Full budget: wait for an open chunk to end. An empty pipeline always takes one chunk.
        if (maxTokens <= 0 && open.length > 0) return worked;
        maxTokens = Math.max(1, maxTokens);
      }
      const { planned, chunk } = await this.cutOne({
        maxRequests: settings.chunkMaxRequests ?? provider.limits.maxRequests,
        maxBytes: settings.chunkMaxBytes ?? provider.limits.maxBytes,
        maxTokens,
        maxCostUsd: budget?.remainingUsd ?? Number.POSITIVE_INFINITY,
      });
      if (planned === null) {
        admission?.cutAll();
        return worked;
      }
      steps.tellNotices(planned.notices);
      if (chunk === null) {
        // Nothing affordable now. While chunks are out their answers may cost less than reserved: wait for them.
        if (open.length === 0) budget?.markReached(logger);
        return worked;
      }
      this.view.set(chunk.chunkNo, chunk);
      steps.markFresh(chunk.chunkNo);
      await this.options.handOut?.handOut(chunk);
      if (budget !== undefined) {
        budget.reserve(chunk.chunkNo, planned.costUsd);
        // The chunk that fills the budget is the last: a tail of ever smaller batches, each of which may take
        // hours, would drag the job on for the little that estimates above real costs leave over.
        if (planned.budgetStop) budget.markReached(logger);
      }
      logger.info({ chunk: chunk.chunkNo, items: chunk.itemCount, bytes: chunk.bytes }, LOG_EVENT.chunkPlan);
      worked = true;
    }
  }

  /**
   * Plans the next chunk and commits it when it has a line (`chunk` null otherwise). Its file is written as it is
   * planned and kept once the chunk is committed (`ChunkFileDraft`), so its upload need not build it again.
   */
  private async cutOne(limits: ChunkLimits): Promise<{ planned: PlannedChunk | null; chunk: Chunk | null }> {
    const { store, jobId, handOut, workDir, source } = this.options;
    // A chunk handed out is worked by its holder, which writes the file where it runs.
    const draft = handOut === undefined ? await ChunkFileDraft.open(workDir) : undefined;
    try {
      const planned = await planNextChunk(source, limits, draft);
      if (planned === null || planned.seqs.length === 0) {
        await draft?.discard();
        return { planned, chunk: null };
      }
      const chunk = await store.createChunk(
        jobId,
        { bytes: planned.bytes, tokens: planned.tokens, url: planned.url, model: planned.model, now: this.now() },
        planned.seqs,
      );
      await draft?.keep(chunk.chunkNo);
      return { planned, chunk };
    } catch (error) {
      await draft?.discard();
      throw error;
    }
  }

  private async waitForNextPoll(open: readonly Chunk[]): Promise<void> {
    const { settings } = this.options;
    const { steps } = this;
    const now = this.now();
    let wake = now + (this.options.handOut?.watchMs ?? settings.pollIntervalMs);
    for (const chunk of this.options.handOut === undefined ? open : []) {
      wake = Math.min(wake, steps.nextPollAt(chunk.chunkNo));
    }
    if (steps.tokenPauseUntil > now) wake = Math.min(wake, steps.tokenPauseUntil);
    const delay = Math.max(20, wake - now);
    try {
      await sleep(delay, undefined, { signal: this.options.signal });
    } catch {
      // Stopped: the next turn sees the signal.
    }
  }

  /** Progress from the turn's view; also told while a remote call waits to be retried. */
  private async report(): Promise<void> {
    const report = this.options.onProgress;
    if (report === undefined) return;
    const { store, jobId } = this.options;
    const { steps } = this;
    report({
      jobId,
      counts: await store.counts(jobId),
      chunks: [...this.view.values()],
      cancelling: steps.cancelling,
      network: steps.network,
      tokenPauseUntil: steps.tokenPauseUntil > this.now() ? steps.tokenPauseUntil : null,
      elapsedMs: this.now() - this.options.startedAt,
    });
  }

  private now(): number {
    return this.options.clock.now();
  }
}
