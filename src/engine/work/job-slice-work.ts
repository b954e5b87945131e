import type { PreparedRequest } from '../../core/item.ts';
import type { ProviderError } from '../../errors/index.ts';
import type { LineParser } from '../../input/parse-input-line.ts';
import type { LineReader } from '../../input/read-line-at.ts';
import type { TokenEstimator } from '../../plan/estimate-tokens.ts';
import type { RealtimeProvider } from '../../providers/provider.ts';
import type { ItemStore } from '../../store/store.ts';
import type { HeldSlice, SliceKey, WorkSliceStore, WorkStop } from '../../store/work-slice-store.ts';
import type { Clock } from '../../util/clock.ts';
import type { Logger } from '../../util/logger.ts';
import { LOG_EVENT } from '../../util/log-event.ts';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { createTokenCounter, createTokenEstimator } from '../../plan/estimate-tokens.ts';
import { openBudget } from '../budget-guard.ts';
import type { RequestPacer } from '../request-pacer.ts';
import type { SpendGuard } from '../spend-guard.ts';
import { SharedBudget } from '../shared-budget.ts';
import { SharedRateLimiter } from '../shared-rate-limiter.ts';
import type { SharedLimitsStore } from '../../store/store.ts';
import { createRequestCoster } from '../estimate-request-cost.ts';
import type { AnswerReview } from '../answer-review.ts';
import { CommitQueue } from '../commit-queue.ts';
import type { RequestCost } from '../estimate-request-cost.ts';
import { pushOpenItems } from '../feed-items.ts';
import { DEFAULT_OUTAGE_MAX_WAIT_S, OutageWatch } from '../outage-watch.ts';
import { RealtimeDispatcher, type DispatcherCounters } from '../realtime-dispatcher.ts';
import type { RunSettings } from '../run-job.ts';
import { SlotPool } from '../slot-pool.ts';
import { SentLedger } from './sent-ledger.ts';
import { storedLineReader } from './stored-line-reader.ts';
import { startSliceHeartbeat } from './slice-heartbeat.ts';
import { WakeSignal } from './wake-signal.ts';

/** What `openJobSliceWork` builds the rest from. */
export type JobSliceWorkBasis = Pick<
  JobSliceWorkOptions,
  'jobId' | 'provider' | 'settings' | 'parser' | 'clock' | 'logger' | 'staleMs' | 'review' | 'moreComing'
> & { store: JobSliceWorkOptions['store'] & SharedLimitsStore };

/**
 * A job's work in one process with the limits its settings name, held with every other worker of the job in the
 * store (rate and budget, docs/decisions/0032; the budget with what earlier runs spent), the outage watch, and a
 * holder token of its own: the one way a worker, or the process that submitted the job, starts.
 */
export async function openJobSliceWork(basis: JobSliceWorkBasis): Promise<JobSliceWork> {
  const { settings, clock, store, jobId } = basis;
  const spent = await openBudget(store, jobId, settings);
  const onError = (error: unknown): void =>
    basis.logger.warn({ jobId, message: (error as Error).message }, LOG_EVENT.limitFail);
  return new JobSliceWork({
    ...basis,
    holder: workHolder(),
    limiter: new SharedRateLimiter({ jobId, store, rpm: settings.rpm, tpm: settings.tpm, clock, onError }),
    budget:
      spent === undefined
        ? undefined
        : new SharedBudget({ jobId, store, limitUsd: spent.limitUsd, spentBeforeUsd: spent.spentUsd, clock, onError }),
    outage:
      settings.outageMaxWaitMs === null
        ? undefined
        : new OutageWatch({
            maxWaitMs: settings.outageMaxWaitMs ?? DEFAULT_OUTAGE_MAX_WAIT_S.realtime * 1000,
            now: () => clock.now(),
          }),
    estimateTokens: settings.tpm > 0 ? await createTokenEstimator() : null,
    costRequest:
      spent === undefined ? undefined : createRequestCoster(await createTokenCounter(), settings.prices ?? {}),
  });
}

/** A holder token of the slices table: which machine and process, and unique per job worked on. */
export function workHolder(): string {
  return `${processHolderPrefix()}${randomUUID()}`;
}

/** What every holder token of this process starts with (see `WorkSliceStore.reclaimStaleSlices`). */
export function processHolderPrefix(): string {
  return `${hostname()}:${String(process.pid)}:`;
}

export interface JobSliceWorkOptions {
  jobId: string;
  store: ItemStore & WorkSliceStore;
  provider: RealtimeProvider;
  settings: RunSettings;
  /** The job's line parser, as its stored config says. */
  parser: LineParser;
  /** Who holds this job's slices in the slices table: unique to this worker and job (`${host}:${pid}:${uuid}`). */
  holder: string;
  limiter: RequestPacer & { close?(): Promise<void> };
  budget?: (SpendGuard & { close?(): Promise<void> }) | undefined;
  outage?: OutageWatch | undefined;
  estimateTokens: TokenEstimator | null;
  costRequest?: ((request: PreparedRequest) => RequestCost) | undefined;
  clock: Clock;
  logger: Logger;
  /** How long a slice's holder may go without a heartbeat before this process hands its slice out again. */
  staleMs: number;
  /** A data job's answer review: each answer checked, and re-asked as its prompt says. */
  review?: AnswerReview | undefined;
  /**
   * While true, more slices of the job may come (its input is still being cut): with none to take and none held,
   * `run()` waits for them instead of ending. Unset: it ends then.
   */
  moreComing?: (() => boolean | Promise<boolean>) | undefined;
}

/** Items queued beyond the concurrency before a worker claims no more. */
const CLAIM_AHEAD_ITEMS = 128;
/** How often an idle worker asks for a slice again while others hold every slice of the job. */
const CLAIM_POLL_MS = 250;
/** As often, while more slices may come (the job's input is still being read and cut). */
const SOON_POLL_MS = 50;
/**
 * How often a busy worker looks whether it has room for another slice: often enough that the next slice is claimed
 * and read before the pool drains (at 1,000 requests/s, 20 ms is 20 requests).
 */
const LOAD_POLL_MS = 20;
/** How long a slice's holder may go without a heartbeat before another worker takes it (`--lease-s`). */
export const DEFAULT_SLICE_LEASE_S = 15;

interface Running {
  slice: HeldSlice;
  dispatcher: RealtimeDispatcher;
  stop: AbortController;
  lost: boolean;
}

/**
 * One worker's work on one job (docs/decisions/0031): it claims slices of the job while it has room for more (the
 * items it has queued and out below its concurrency and `CLAIM_AHEAD_ITEMS`), runs each through a realtime
 * dispatcher of its own (one slot pool of `concurrency` for all of them, one commit queue), and marks a slice done
 * once every item of it settled.
 * A slice it loses (its heartbeat went stale, or the job stopped) is stopped at once: what it had out is dropped at
 * commit, and the slice's new holder sends it again.
 *
 * `run()` resolves when there is nothing left to claim and every held slice ended, or after `stop()`.
 */
export class JobSliceWork {
  /** What the slices that ended sent (see `counters`). */
  private readonly endedCounters = { succeeded: 0, failed: 0, retries: 0 };
  private readonly options: JobSliceWorkOptions;
  private readonly pool: SlotPool;
  private readonly running = new Map<number, Running>();
  private readonly ended = new WakeSignal();
  private stopped = false;
  private stopReason: WorkStop | undefined;
  private failure: Error | undefined;
  private readonly ledger: SentLedger;
  private readonly reader: Pick<LineReader, 'readMany'>;
  private readonly commits: CommitQueue;

  constructor(options: JobSliceWorkOptions) {
    this.options = options;
    this.pool = new SlotPool(options.settings.concurrency);
    this.ledger = new SentLedger(options.store, options.holder, options.clock);
    this.reader = storedLineReader(options.store, options.jobId);
    // Outcomes in a slice this worker lost are dropped by the store; the slices they fell in stop here.
    this.commits = new CommitQueue({
      commitProgress: async (batches) => this.lose(await options.store.commitSliceProgress(batches, options.holder)),
    });
  }

  get jobId(): string {
    return this.options.jobId;
  }

  /**
   * Works until nothing is left to claim and every held slice ended, or until `stop()`. Whatever it still holds then
   * goes back to the queue. Rejects with the first failure of a slice's work (the store gone), after that.
   */
  async run(): Promise<void> {
    const { store, jobId, holder } = this.options;
    const heartbeat = startSliceHeartbeat({
      store,
      holder,
      ownPrefix: processHolderPrefix(),
      staleMs: this.options.staleMs,
      held: () => this.heldSlices(),
      lose: (keys) => this.lose(keys),
    });
    try {
      while (!this.stopped) {
        // Room for more: fewer items queued and out than the concurrency and a little more (a claim takes a few ms,
        // a few requests' worth), so the pool never waits for a claim. No more than that: near the job's end, what one
        // process holds queued is what the others, idle, cannot help with.
        if (this.load() < this.options.settings.concurrency + CLAIM_AHEAD_ITEMS) {
          // Asked before the claim, never after: slices cut between a claim that found none and the question would
          // otherwise be left to no one (the input's last slices, cut as this worker gave up).
          const mayEnd = this.running.size === 0 && (await this.options.moreComing?.()) !== true;
          const slice = await store.claimSlice([jobId], holder);
          if (slice !== undefined && this.running.has(slice.sliceNo)) {
            // Handed back to this worker while its earlier run of the slice, lost, still winds down: that run's last
            // commits would pass as the new holder's (the same name). Back to the queue; it is taken again later.
            await store.releaseSlices(holder, slice);
            await this.ended.wait(CLAIM_POLL_MS);
            continue;
          }
          if (slice !== undefined) {
            this.start(slice);
            continue;
          }
          if (mayEnd && this.running.size === 0) break;
          // While the input is still cut, the next slices come soon: asked for sooner.
          await this.ended.wait(this.options.moreComing === undefined ? CLAIM_POLL_MS : SOON_POLL_MS);
        } else {
          await this.ended.wait(LOAD_POLL_MS);
        }
      }
      while (this.running.size > 0) await this.ended.wait(CLAIM_POLL_MS);
    } finally {
      clearInterval(heartbeat);
      await store.releaseSlices(holder).catch(() => undefined);
      // What this process took of the shared rate and budget and did not use goes back to the job's other workers.
      await this.options.limiter.close?.().catch(() => undefined);
      await this.options.budget?.close?.().catch(() => undefined);
    }
    if (this.failure !== undefined) throw this.failure;
  }

  /** Stop taking slices; those held stop sending and their in-flight requests get `graceMs` before they are cut. */
  stop(graceMs: number): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const entry of this.running.values()) {
      entry.stop.abort();
      entry.dispatcher.stop();
      setTimeout(() => entry.dispatcher.abortInFlight(), graceMs).unref();
    }
  }

  /** Slices this worker no longer holds (a stale heartbeat, a withdrawn job): stopped now, nothing more committed. */
  lose(keys: readonly SliceKey[]): void {
    for (const key of keys) {
      const entry = key.jobId === this.options.jobId ? this.running.get(key.sliceNo) : undefined;
      if (entry === undefined || entry.lost) continue;
      entry.lost = true;
      this.options.logger.warn({ jobId: key.jobId, slice: key.sliceNo }, LOG_EVENT.sliceLose);
      entry.stop.abort();
      entry.dispatcher.stop();
      entry.dispatcher.abortInFlight();
      // Should the store still name this worker its holder (it was stopped for a failure, not taken), it goes back to
      // the queue: a slice no one works on but whose holder heartbeats would hold the job up for good.
      void this.options.store.releaseSlices(this.options.holder, key).catch(() => undefined);
    }
  }

  /** The slices this worker runs now. */
  private heldSlices(): SliceKey[] {
    return [...this.running.values()].filter((entry) => !entry.lost).map((entry) => entry.slice);
  }

  private load(): number {
    let load = 0;
    for (const { dispatcher } of this.running.values())
      load += dispatcher.counters.queued + dispatcher.counters.inFlight;
    return load;
  }

  /** Slices may wait to be claimed: a slice of this process ended, or (`moreComing`) new ones were just cut. */
  wake(): void {
    this.ended.wake();
  }

  private start(slice: HeldSlice): void {
    const { options } = this;
    const stop = new AbortController();
    const onStop = (stopReason: WorkStop): void => {
      if (this.stopReason !== undefined) return;
      this.stopReason = stopReason;
      options.logger.error(
        { jobId: options.jobId, reason: stopReason.reason, message: stopReason.message },
        LOG_EVENT.jobStop,
      );
      void options.store.stopJobWork(options.jobId, stopReason).catch(() => undefined);
      this.stop(0);
    };
    const dispatcher = new RealtimeDispatcher({
      jobId: options.jobId,
      store: options.store,
      provider: options.provider,
      limiter: options.limiter,
      clock: options.clock,
      concurrency: options.settings.concurrency,
      timeoutMs: options.settings.timeoutMs,
      retry: options.settings.retry,
      slots: this.pool.join(String(slice.sliceNo)),
      review: options.review,
      commits: this.commits,
      budget: options.budget,
      outage: options.outage,
      onFatal: (error: ProviderError) =>
        onStop({
          reason: 'auth',
          message: error.message,
          ...(error.status === undefined ? {} : { status: error.status }),
        }),
      onBudgetReached: () => onStop({ reason: 'budget', message: 'limits.budget_usd reached' }),
      onOutage: (error) => onStop({ reason: 'unreachable', message: error.message }),
      // Refused: the slice went to another worker. Lost here at once, so the dispatcher sends none of it.
      beforeSend: async (seq, attempt) => {
        if (!(await this.ledger.record(options.jobId, seq, attempt))) this.lose([slice]);
      },
    });
    const entry: Running = { slice, dispatcher, stop, lost: false };
    this.running.set(slice.sliceNo, entry);
    if (slice.generation > 0) {
      options.logger.warn({ jobId: options.jobId, slice: slice.sliceNo, inDoubt: slice.inDoubt }, LOG_EVENT.sliceAdopt);
    }
    void this.work(entry)
      .catch((error: unknown) => {
        options.logger.error(
          { jobId: options.jobId, slice: slice.sliceNo, message: (error as Error).message },
          LOG_EVENT.sliceFail,
        );
        entry.lost = true;
      })
      .finally(() => {
        if (this.running.get(slice.sliceNo) === entry) this.running.delete(slice.sliceNo);
        this.addCounters(dispatcher.counters);
        this.wake();
      });
  }

  private async work(entry: Running): Promise<void> {
    const { options } = this;
    const { slice, dispatcher } = entry;
    const items = await options.store.sliceItems(options.jobId, slice.firstSeq, slice.lastSeq);
    await pushOpenItems(
      {
        dispatcher,
        signal: entry.stop.signal,
        estimateTokens: options.estimateTokens,
        costRequest: options.costRequest,
        review: options.review,
      },
      this.reader,
      options.parser,
      items,
    );
    await dispatcher.whenIdle();
    if (entry.lost || this.stopped) return;
    await options.store.finishSlice(slice, options.holder);
  }

  private addCounters(counters: DispatcherCounters): void {
    this.endedCounters.succeeded += counters.succeeded;
    this.endedCounters.failed += counters.failed;
    this.endedCounters.retries += counters.retries;
  }

  /** What this worker did for the job so far, over the slices it ran and runs. */
  get counters(): DispatcherCounters {
    const sum: DispatcherCounters = { ...this.endedCounters, inFlight: 0, waitingRetry: 0, queued: 0 };
    for (const { dispatcher } of this.running.values()) {
      sum.succeeded += dispatcher.counters.succeeded;
      sum.failed += dispatcher.counters.failed;
      sum.retries += dispatcher.counters.retries;
      sum.inFlight += dispatcher.counters.inFlight;
      sum.waitingRetry += dispatcher.counters.waitingRetry;
      sum.queued += dispatcher.counters.queued;
    }
    return sum;
  }
}
