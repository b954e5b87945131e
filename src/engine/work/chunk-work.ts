import type { Chunk } from '../../core/chunk.ts';
import { BatchpilotError, ProviderError } from '../../errors/index.ts';
import type { LineParser } from '../../input/parse-input-line.ts';
import type { LineReader } from '../../input/read-line-at.ts';
import type { BatchProvider } from '../../providers/provider.ts';
import type { SharedStore } from '../../store/shared-store.ts';
import type { HeldSlice, SliceKey, WorkStop } from '../../store/work-slice-store.ts';
import type { Clock } from '../../util/clock.ts';
import { LOG_EVENT } from '../../util/log-event.ts';
import type { Logger } from '../../util/logger.ts';
import { sleep } from '../../util/sleep.ts';
import { advanceChunk } from '../batch/advance-chunk.ts';
import { ChunkSteps, type ChunkStepsOptions } from '../batch/chunk-steps.ts';
import type { ChunkSource } from '../batch/plan-chunk.ts';
import { EndpointOutage, StopRequested } from '../batch/remote-call.ts';
import type { DispatcherCounters } from '../realtime-dispatcher.ts';
import { heldChunkStore } from './held-chunk-store.ts';
import { processHolderPrefix } from './job-slice-work.ts';
import { startSliceHeartbeat } from './slice-heartbeat.ts';
import { storedLineReader } from './stored-line-reader.ts';
import { WakeSignal } from './wake-signal.ts';

export interface ChunkWorkOptions {
  jobId: string;
  store: SharedStore;
  provider: BatchProvider;
  settings: ChunkStepsOptions['settings'];
  /** The job's line parser, as its stored config says. */
  parser: LineParser;
  /** Who holds this job's chunks in the slices table: unique to this process and job (see `workHolder`). */
  holder: string;
  /** Where chunk files are written before upload: a folder of this process's own. */
  workDir: string;
  clock: Clock;
  logger: Logger;
  /** How long a slice's holder may go without a heartbeat before this process hands its slice out again. */
  staleMs: number;
  /**
   * Keep taking chunks until `stop()` (the submitting process: it cuts chunks as the run goes on). Unset: `run()`
   * resolves once nothing is left to take and every held chunk closed (a worker: its scan comes back for more).
   */
  untilStopped?: boolean | undefined;
  /** Chunks held at once at most: a held chunk mostly waits on the provider, so many cost little. @default 64 */
  maxChunks?: number | undefined;
  onNotice?: ((message: string) => void) | undefined;
}

/** How often a process with nothing to take asks again. */
const CLAIM_POLL_MS = 250;
/** A held chunk's loop never sleeps less (a busy step loop) or longer (a cancel seen late) than this. */
const MIN_WAIT_MS = 20;
const MAX_WAIT_MS = 5000;

interface HeldChunk {
  slice: HeldSlice & { chunkNo: number };
  stop: AbortController;
  items: number;
}

/**
 * One process's work on one batch-mode job's chunks (docs/decisions/0034), as `JobSliceWork` is for a realtime job:
 * it claims slices of kind chunk, and for each runs that chunk's steps (`advanceChunk` with `ChunkSteps`: write the
 * chunk file from the lines kept in the store, upload, submit, poll, merge) from whatever state the store holds,
 * until the chunk closes; then the slice is done. Every write of the chunk is fenced by the slice's lease
 * (`heldChunkStore`): a holder that lost the chunk writes nothing and stops it. A chunk taken over from a lost holder
 * carries on from its committed state; an upload or batch the lost holder made but never recorded is found by its
 * tag and adopted (`ChunkSteps.prepare` / `create`), so no chunk is submitted twice. Held chunks are heartbeated
 * every second, and every beat also hands out again the chunks of holders gone silent.
 *
 * A refused key or the endpoint gone stops the job's work for every process (`stopJobWork`), as a realtime worker
 * does; the submitting process ends the job on it.
 */
export class ChunkWork {
  private readonly options: ChunkWorkOptions;
  private readonly held = new Map<number, HeldChunk>();
  private readonly ended = new WakeSignal();
  private readonly reader: Pick<LineReader, 'readMany'>;
  private stopped = false;
  private merged = 0;

  constructor(options: ChunkWorkOptions) {
    this.options = options;
    // A worker on another machine cannot read the submitter's input: the lines come from the store.
    this.reader = storedLineReader(options.store, options.jobId);
  }

  get jobId(): string {
    return this.options.jobId;
  }

  /** What this process does for the job now, in the realtime worker's terms: the items of its held chunks are out. */
  get counters(): DispatcherCounters {
    let inFlight = 0;
    for (const chunk of this.held.values()) inFlight += chunk.items;
    return { succeeded: this.merged, failed: 0, retries: 0, inFlight, waitingRetry: 0, queued: 0 };
  }

  /** Works until stopped (or, without `untilStopped`, until nothing is left to take); held chunks go back after. */
  async run(): Promise<void> {
    const { store, jobId, holder } = this.options;
    const heartbeat = startSliceHeartbeat({
      store,
      holder,
      ownPrefix: processHolderPrefix(),
      staleMs: this.options.staleMs,
      held: () => [...this.held.values()].map((chunk) => chunk.slice),
      lose: (keys) => this.lose(keys),
    });
    try {
      while (!this.stopped) {
        if (this.held.size >= (this.options.maxChunks ?? 64)) {
          await this.ended.wait(CLAIM_POLL_MS);
          continue;
        }
        const slice = await store.claimSlice([jobId], holder);
        if (slice !== undefined && slice.chunkNo === undefined) {
          // A realtime slice in a batch job's queue cannot happen; handed back rather than held for nothing.
          await store.releaseSlices(holder, slice);
          throw new Error(`slice ${String(slice.sliceNo)} of batch job ${jobId} names no chunk`);
        }
        if (slice !== undefined && this.held.has(slice.sliceNo)) {
          // Handed back to this process while its earlier run of the slice winds down (see JobSliceWork).
          await store.releaseSlices(holder, slice);
          await this.ended.wait(CLAIM_POLL_MS);
          continue;
        }
        if (slice !== undefined) {
          this.start({ ...slice, chunkNo: slice.chunkNo ?? 0 });
          // One chunk per look: a chunk lasts minutes, and the processes looking meanwhile take the next ones, so the
          // chunks spread over the workers instead of going all to the first that asks.
          await this.ended.wait(CLAIM_POLL_MS);
          continue;
        }
        if (this.held.size === 0 && this.options.untilStopped !== true) break;
        await this.ended.wait(CLAIM_POLL_MS);
      }
      while (this.held.size > 0) await this.ended.wait(CLAIM_POLL_MS);
    } finally {
      clearInterval(heartbeat);
      await store.releaseSlices(holder).catch(() => undefined);
    }
  }

  /**
   * Stop taking chunks, and stop the held ones at their next step boundary (a remote call under way finishes, within
   * its timeout); what they committed stays, and whoever takes them next carries on from there.
   */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const chunk of this.held.values()) chunk.stop.abort();
    this.ended.wake();
  }

  /** Chunks this process no longer holds (a stale heartbeat, a withdrawn job): stopped, nothing more written. */
  private lose(keys: readonly SliceKey[]): void {
    for (const key of keys) {
      const chunk = this.held.get(key.sliceNo);
      if (chunk === undefined || chunk.stop.signal.aborted) continue;
      this.options.logger.warn(
        { jobId: key.jobId, slice: key.sliceNo, chunk: chunk.slice.chunkNo },
        LOG_EVENT.sliceLose,
      );
      chunk.stop.abort();
    }
  }

  private start(slice: HeldSlice & { chunkNo: number }): void {
    const { logger, jobId, store, holder } = this.options;
    const entry: HeldChunk = { slice, stop: new AbortController(), items: 0 };
    this.held.set(slice.sliceNo, entry);
    if (slice.generation > 0) {
      logger.warn({ jobId, slice: slice.sliceNo, chunk: slice.chunkNo }, LOG_EVENT.sliceAdopt);
    }
    void this.work(entry)
      .catch(async (error: unknown) => {
        if (error instanceof BatchpilotError && error.code === 'SLICE_LOST') {
          logger.warn({ jobId, slice: slice.sliceNo, chunk: slice.chunkNo }, LOG_EVENT.sliceLose);
          return;
        }
        const stop = workStopOf(error);
        if (stop !== undefined) {
          logger.error({ jobId, reason: stop.reason, message: stop.message }, LOG_EVENT.jobStop);
          await store.stopJobWork(jobId, stop).catch(() => undefined);
          this.stop();
          return;
        }
        logger.error(
          { jobId, slice: slice.sliceNo, chunk: slice.chunkNo, message: (error as Error).message },
          LOG_EVENT.sliceFail,
        );
        // Back to the queue at once: another process (or this one, later) carries on from what was committed.
        await store.releaseSlices(holder, slice).catch(() => undefined);
      })
      .finally(() => {
        if (this.held.get(slice.sliceNo) === entry) this.held.delete(slice.sliceNo);
        this.ended.wake();
      });
  }

  /** One held chunk, step after step, until it closes (the slice is done) or is stopped. */
  private async work(entry: HeldChunk): Promise<void> {
    const { options } = this;
    const { store, jobId, holder, clock } = options;
    const { slice } = entry;
    const signal = entry.stop.signal;
    let claimed: ReadonlySet<string> = new Set();
    const source: ChunkSource = {
      store,
      jobId,
      reader: this.reader,
      parser: options.parser,
      provider: options.provider,
      estimateTokens: null,
      costRequest: null,
    };
    const steps = new ChunkSteps({
      jobId,
      store: heldChunkStore(store, slice, holder),
      provider: options.provider,
      settings: options.settings,
      workDir: options.workDir,
      source,
      budget: undefined,
      clock,
      logger: options.logger,
      signal,
      claimedBatchIds: () => claimed,
      onTrouble: () => undefined,
      onNotice: options.onNotice,
    });
    try {
      while (!signal.aborted) {
        steps.cancelling = (await store.getJob(jobId))?.cancelRequestedAt != null;
        const chunks = await store.listChunks(jobId);
        // An orphan found by its shape is never a batch another chunk of the job has committed.
        claimed = new Set(chunks.flatMap((chunk) => (chunk.batchId === null ? [] : [chunk.batchId])));
        const chunk = chunks.find((each) => each.chunkNo === slice.chunkNo);
        if (chunk === undefined) throw new Error(`job ${jobId} has no chunk ${String(slice.chunkNo)}`);
        entry.items = chunk.itemCount;
        const advanced = await advanceChunk(chunk, steps);
        if (advanced.chunk === null) {
          if (chunk.state !== 'merged') this.merged += chunk.itemCount;
          await store.finishSlice(slice, holder);
          return;
        }
        await sleep(waitFor(advanced.chunk, steps, clock), signal);
      }
    } catch (error) {
      if (error instanceof StopRequested) return;
      throw error;
    }
  }
}

/** How long a held chunk waits before its next step: until its poll is due, within bounds. */
function waitFor(chunk: Chunk, steps: ChunkSteps, clock: Clock): number {
  const due = steps.nextPollAt(chunk.chunkNo) - clock.now();
  return Math.min(MAX_WAIT_MS, Math.max(MIN_WAIT_MS, due));
}

/** The stop every process of the job must honour, for an error that ends a batch run in one process. */
function workStopOf(error: unknown): WorkStop | undefined {
  if (error instanceof EndpointOutage) return { reason: 'unreachable', message: error.message };
  if (error instanceof ProviderError && error.code === 'AUTH_FAILED') {
    return { reason: 'auth', message: error.message, ...(error.status === undefined ? {} : { status: error.status }) };
  }
  return undefined;
}
