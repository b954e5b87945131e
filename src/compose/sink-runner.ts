import { setTimeout as sleep } from 'node:timers/promises';
import { SinkError } from '../errors/index.ts';
import type { EnrichedRowEvent } from '../output/write-enriched.ts';
import { valueAtPath } from '../util/value-at-path.ts';
import { crashPoint } from '../util/crash-point.ts';
import type { Sink, SinkRow } from '../sinks/sink.ts';
import type { SinkOutboxStore } from '../store/store.ts';
import type { Clock } from '../util/clock.ts';

/** One row of a data job as the join-back walk hands it on, in source order (`writeEnriched`'s `onRow`). */
export type WalkedRow = EnrichedRowEvent;

/** What the runner needs of a sink's config. */
export interface SinkFeedSettings {
  /** `valid`: only valid rows; `all`: every row, with its statuses. */
  rows: 'valid' | 'all';
  /** Rows per batch. */
  every: number;
  /** A batch is written once its first row is this old, full or not; unset, only `every` and the end close one. */
  everySeconds?: number | undefined;
  /** The row field (a dotted path) holding the key in the target; the row key when absent. */
  key?: string | undefined;
  /** How long one batch may wait for the sink (`max_wait_s`); the runner's `retry.maxWaitMs` when unset. */
  maxWaitMs?: number | undefined;
}

/** How long a sink that says it is unavailable is retried before the run gives up on it. */
export interface SinkRetrySettings {
  baseDelayMs: number;
  maxDelayMs: number;
  /** Total time one batch may wait for its sink; then SINK_UNAVAILABLE. */
  maxWaitMs: number;
}

/** The longest `Retry-After` a sink is obeyed for: a longer one is taken as this (the bound still applies). */
const MAX_ASKED_WAIT_MS = 60_000;

export const DEFAULT_SINK_RETRY: SinkRetrySettings = { baseDelayMs: 250, maxDelayMs: 10_000, maxWaitMs: 300_000 };

/** One sink's figures for the integration report. */
export interface SinkFigures {
  name: string;
  rowsWritten: number;
  batches: number;
  retries: number;
  /** Rows before this index are in the sink. */
  doneThroughRow: number;
}

export interface SinkRunnerOptions {
  store: SinkOutboxStore;
  jobId: string;
  sinks: readonly { sink: Sink; settings: SinkFeedSettings }[];
  clock: Clock;
  retry?: SinkRetrySettings;
  /** `batchpilot sink JOB`: every row again from the first, each sink's outbox forgotten first. */
  fromStart?: boolean;
  signal?: AbortSignal;
  /** The command a sink that stayed down names to carry on once it is back. @default `batchpilot sink JOB` */
  whenBack?: string;
}

interface SinkState {
  sink: Sink;
  settings: SinkFeedSettings;
  nextBatchNo: number;
  /** Rows before it are in the sink (done batches): the batch being filled starts there. */
  doneThroughRow: number;
  /** One past the last row the batch being filled has seen. */
  toRow: number;
  rows: SinkRow[];
  figures: SinkFigures;
  /** Batches are written one at a time, in order: the walk and the timer both go through it. */
  queue: Promise<void>;
  timer: NodeJS.Timeout | undefined;
  failure: unknown;
}

/**
 * Feeds a data job's rows to its sinks as the join-back walk hands them on (decision 0026): per sink, the rows it
 * wants are batched (`every` rows, or `every_seconds` after a batch's first row), each batch recorded in the store's
 * outbox before it is written and marked after. Rows come in source order, so a sink's progress is one row index:
 * rows below it are skipped, which makes a walk after a crash, a resume or a second run send only what the sink
 * lacks (and the batch a crash left pending again, under its number, which the sink's idempotent write makes
 * harmless). A sink that says it is unavailable is retried with backoff for `retry.maxWaitMs`, then the walk stops
 * with SINK_UNAVAILABLE: nothing is lost, the outbox says where to carry on.
 */
export class SinkRunner {
  private readonly options: SinkRunnerOptions;
  private readonly states: SinkState[];
  private closed = false;

  private constructor(options: SinkRunnerOptions, states: SinkState[]) {
    this.options = options;
    this.states = states;
  }

  /** Opens every sink (a LanceDB table made or checked) and reads where each stands. */
  static async start(options: SinkRunnerOptions): Promise<SinkRunner> {
    const states: SinkState[] = [];
    try {
      for (const { sink, settings } of options.sinks) {
        await sink.open();
        if (options.fromStart === true) await options.store.resetSinkBatches(options.jobId, sink.name);
        const progress = await options.store.sinkProgress(options.jobId, sink.name);
        states.push({
          sink,
          settings,
          nextBatchNo: progress.nextBatchNo,
          doneThroughRow: progress.doneThroughRow,
          toRow: progress.doneThroughRow,
          rows: [],
          figures: {
            name: sink.name,
            rowsWritten: progress.rowsWritten,
            batches: progress.batchesDone,
            retries: 0,
            doneThroughRow: progress.doneThroughRow,
          },
          queue: Promise.resolve(),
          timer: undefined,
          failure: undefined,
        });
      }
    } catch (error) {
      for (const { sink } of options.sinks) await sink.close().catch(() => undefined);
      throw error;
    }
    return new SinkRunner(options, states);
  }

  /** Hands one row on to every sink that has not got it; throws what a sink failed with. */
  async offer(walked: WalkedRow): Promise<void> {
    for (const state of this.states) {
      this.throwFailure(state);
      if (walked.index < state.doneThroughRow) continue;
      state.toRow = walked.index + 1;
      if (state.settings.rows === 'valid' && !walked.valid) continue;
      state.rows.push(toSinkRow(walked, state.settings));
      if (state.rows.length === 1) this.armTimer(state);
      if (state.rows.length >= state.settings.every) await this.enqueueFlush(state);
    }
  }

  /** The walk is over: the last batches are written and the sinks closed; returns each sink's figures. */
  async finish(): Promise<SinkFigures[]> {
    try {
      for (const state of this.states) {
        await this.enqueueFlush(state);
        this.throwFailure(state);
      }
      return this.states.map((state) => ({ ...state.figures }));
    } finally {
      await this.close();
    }
  }

  /** Stops without writing what is batched (the run stopped): the outbox keeps where each sink stands. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const state of this.states) {
      if (state.timer !== undefined) clearTimeout(state.timer);
      state.timer = undefined;
      await state.queue.catch(() => undefined);
      await state.sink.close().catch(() => undefined);
    }
  }

  private armTimer(state: SinkState): void {
    if (state.settings.everySeconds === undefined) return;
    if (state.timer !== undefined) clearTimeout(state.timer);
    state.timer = setTimeout(() => {
      state.timer = undefined;
      // A failure is kept on the state and thrown at the next offer or at finish.
      void this.enqueueFlush(state).catch(() => undefined);
    }, state.settings.everySeconds * 1000);
    state.timer.unref();
  }

  private enqueueFlush(state: SinkState): Promise<void> {
    const next = state.queue.then(() => this.flush(state));
    state.queue = next.catch((error: unknown) => {
      state.failure ??= error;
    });
    return next;
  }

  private async flush(state: SinkState): Promise<void> {
    if (state.rows.length === 0) return;
    if (state.timer !== undefined) clearTimeout(state.timer);
    state.timer = undefined;
    const rows = state.rows;
    const batch = { batchNo: state.nextBatchNo, fromRow: state.doneThroughRow, toRow: state.toRow };
    state.rows = [];
    const { store, jobId, clock } = this.options;
    await store.recordSinkBatch(jobId, { sink: state.sink.name, ...batch, rows: rows.length, now: clock.now() });
    await this.writeWithRetry(state, { batchNo: batch.batchNo, rows });
    // A kill here leaves the batch written and pending: the next walk writes it again under its number.
    crashPoint('after-sink-write');
    await store.finishSinkBatch(jobId, state.sink.name, batch.batchNo, clock.now());
    state.nextBatchNo += 1;
    state.doneThroughRow = batch.toRow;
    state.figures.rowsWritten += rows.length;
    state.figures.batches += 1;
    state.figures.doneThroughRow = batch.toRow;
  }

  private async writeWithRetry(state: SinkState, batch: { batchNo: number; rows: SinkRow[] }): Promise<void> {
    const retry = this.options.retry ?? DEFAULT_SINK_RETRY;
    const maxWaitMs = state.settings.maxWaitMs ?? retry.maxWaitMs;
    const started = this.options.clock.now();
    for (let attempt = 0; ; attempt += 1) {
      try {
        await state.sink.write(batch);
        return;
      } catch (error) {
        if (!(error instanceof SinkError) || error.code !== 'SINK_UNAVAILABLE') throw error;
        const waited = this.options.clock.now() - started;
        if (waited >= maxWaitMs || this.options.signal?.aborted === true) {
          const whenBack = this.options.whenBack ?? `batchpilot sink ${this.options.jobId}`;
          throw new SinkError(
            'SINK_UNAVAILABLE',
            `sink "${state.sink.name}" stayed unavailable for ${String(Math.round(waited / 1000))} s (${error.message}); ` +
              `its rows are kept: run "${whenBack}" once it is back (sinks[].max_wait_s sets how long to wait)`,
            { cause: error, context: { key: `sinks.${state.sink.name}`, jobId: this.options.jobId } },
          );
        }
        state.figures.retries += 1;
        // A wait the sink asked for (Retry-After) is kept, up to a minute; never past the bound.
        const backoff = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** attempt);
        const asked = Math.min(error.retryAfterMs ?? 0, MAX_ASKED_WAIT_MS);
        const delay = Math.min(Math.max(backoff, asked), maxWaitMs - waited);
        await sleep(delay, undefined, this.options.signal === undefined ? {} : { signal: this.options.signal }).catch(
          () => undefined,
        );
      }
    }
  }

  private throwFailure(state: SinkState): void {
    if (state.failure === undefined) return;
    const failure = state.failure;
    state.failure = undefined;
    throw failure instanceof Error ? failure : new Error(JSON.stringify(failure));
  }
}

/** The row as a sink gets it: whole (a sink projects its `fields` itself), keyed by the sink's `key` field if any. */
function toSinkRow(walked: WalkedRow, settings: SinkFeedSettings): SinkRow {
  const keyValue = settings.key === undefined ? walked.key : (valueAtPath(walked.row, settings.key) ?? walked.key);
  return {
    key: typeof keyValue === 'string' ? keyValue : JSON.stringify(keyValue),
    ...(walked.group === undefined ? {} : { group: walked.group }),
    row: walked.row,
  };
}
