import { randomBytes } from 'node:crypto';
import type { BatchDialect } from './batch-dialect.ts';
import type { BatchFailure } from './batch-failure.ts';
import type { BatchStatsRecorder } from './batch-stats.ts';
import { LINE_OUTCOMES } from './draw-line-outcomes.ts';
import type { EnqueuedTokens } from './enqueued-tokens.ts';

/**
 * The lifecycle of a simulated batch, driven by one timer at a time over `lifetimeMs` (L):
 *
 *   validating --(0.1 L)--> in_progress --(0.9 L)--> finalizing --(L)--> ended: completed | expired
 *        \--(0.1 L, when `failure` was decided at create)--> ended: failed
 *   validating | in_progress | finalizing --cancel--> cancelling --(0.1 L, at least 1 ms)--> ended: cancelled
 *
 * Lines finish in file order, evenly over in_progress, so `request_counts` grow while polling. What happens to each
 * line was drawn at create (draw-line-outcomes.ts); a line drawn `expired` only shows when the batch ends, and then
 * the batch ends `expired` as OpenAI's do. A cancel freezes the lines done so far; the rest end `cancelled`.
 * Tokens are enqueued at create (unless the batch is doomed) and released on cancel or end. The wire status is the
 * dialect's business (`describeStatus`); the store only reports changes of it to the stats.
 */
export type BatchPhase = 'validating' | 'in_progress' | 'finalizing' | 'cancelling' | 'ended';
export type BatchEnding = 'completed' | 'failed' | 'expired' | 'cancelled';
export type LineResult = 'succeeded' | 'failed' | 'invalid' | 'expired' | 'cancelled' | 'pending';

export interface SimulatedBatch<Payload> {
  readonly id: string;
  readonly dialect: BatchDialect;
  /** Per-batch number, the seed of its draws. */
  readonly number: number;
  readonly createdAtMs: number;
  readonly customIds: readonly string[];
  readonly outcomes: Uint8Array;
  readonly tokenPool: string;
  readonly tokens: number;
  /** Set at create when the batch will fail at the end of validating; it then enqueues no tokens. */
  readonly failure: readonly BatchFailure[] | undefined;
  readonly payload: Payload;
  phase: BatchPhase;
  ending: BatchEnding | undefined;
  inProgressAtMs: number | undefined;
  finalizingAtMs: number | undefined;
  cancellingAtMs: number | undefined;
  endedAtMs: number | undefined;
  doneAtCancel: number | undefined;
}

export interface NewBatch<Payload> {
  dialect: BatchDialect;
  number: number;
  customIds: readonly string[];
  outcomes: Uint8Array;
  tokenPool: string;
  tokens: number;
  failure: readonly BatchFailure[] | undefined;
  payload: Payload;
}

export interface BatchStoreOptions<Payload> {
  idPrefix: string;
  lifetimeMs: number;
  stats: BatchStatsRecorder;
  enqueued: EnqueuedTokens;
  /** The status the dialect's wire format shows, for `stats().batch.batchesByStatus`. */
  describeStatus: (batch: SimulatedBatch<Payload>) => string;
  /** Called once, synchronously, when a batch ends, before any request can see it ended: build its result files. */
  onEnd: (batch: SimulatedBatch<Payload>) => void;
}

/** Lines by what they show now; `errored` holds both `failed` (500) and `invalid` (400) lines. */
export interface LineTally {
  succeeded: number;
  errored: number;
  expired: number;
  cancelled: number;
  pending: number;
}

export type CancelOutcome = 'cancelling' | 'already_cancelling' | 'ended';

export class BatchStore<Payload> {
  private readonly batches = new Map<string, SimulatedBatch<Payload>>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly options: BatchStoreOptions<Payload>;
  private closed = false;

  constructor(options: BatchStoreOptions<Payload>) {
    this.options = options;
  }

  create(init: NewBatch<Payload>): SimulatedBatch<Payload> {
    const batch: SimulatedBatch<Payload> = {
      ...init,
      id: `${this.options.idPrefix}${randomBytes(12).toString('hex')}`,
      createdAtMs: Date.now(),
      phase: 'validating',
      ending: undefined,
      inProgressAtMs: undefined,
      finalizingAtMs: undefined,
      cancellingAtMs: undefined,
      endedAtMs: undefined,
      doneAtCancel: undefined,
    };
    this.batches.set(batch.id, batch);
    if (batch.failure === undefined) this.options.enqueued.add(batch.tokenPool, batch.tokens);
    this.options.stats.recordStatusChange(undefined, this.options.describeStatus(batch));
    this.schedule(batch, this.phaseEndMs(batch, 0.1), () => this.finishValidating(batch));
    return batch;
  }

  get(dialect: BatchDialect, id: string): SimulatedBatch<Payload> | undefined {
    const batch = this.batches.get(id);
    return batch?.dialect === dialect ? batch : undefined;
  }

  listNewestFirst(dialect: BatchDialect): SimulatedBatch<Payload>[] {
    const list: SimulatedBatch<Payload>[] = [];
    for (const batch of this.batches.values()) if (batch.dialect === dialect) list.push(batch);
    return list.reverse();
  }

  /** Forgets an ended batch (Anthropic's DELETE). */
  delete(batch: SimulatedBatch<Payload>): void {
    this.batches.delete(batch.id);
    this.options.stats.recordStatusChange(this.options.describeStatus(batch), undefined);
  }

  cancel(batch: SimulatedBatch<Payload>): CancelOutcome {
    if (batch.phase === 'cancelling') return 'already_cancelling';
    if (batch.phase === 'ended') return 'ended';
    const now = Date.now();
    batch.doneAtCancel = batch.failure === undefined ? this.countDoneLines(batch, now) : 0;
    batch.cancellingAtMs = now;
    this.release(batch);
    this.setPhase(batch, 'cancelling');
    const delayMs = Math.max(1, Math.round(this.options.lifetimeMs * 0.1));
    this.schedule(batch, now + delayMs, () => this.end(batch, 'cancelled'));
    return 'cancelling';
  }

  /** Lines whose outcome is settled, in file order: `request_counts` are read from the first this-many lines. */
  countDoneLines(batch: SimulatedBatch<Payload>, nowMs: number): number {
    const total = batch.customIds.length;
    switch (batch.phase) {
      case 'validating':
        return 0;
      case 'in_progress': {
        const start = batch.inProgressAtMs ?? nowMs;
        const span = this.phaseEndMs(batch, 0.9) - start;
        if (span <= 0) return total;
        return Math.min(total, Math.floor((total * Math.max(0, nowMs - start)) / span));
      }
      case 'finalizing':
        return total;
      case 'cancelling':
        return batch.doneAtCancel ?? 0;
      case 'ended':
        if (batch.ending === 'cancelled') return batch.doneAtCancel ?? 0;
        return batch.ending === 'failed' ? 0 : total;
    }
  }

  /** What a line shows at `nowMs`. Lines drawn `expired` stay pending until the batch ends. */
  resolveLine(batch: SimulatedBatch<Payload>, index: number, doneLines: number): LineResult {
    const ended = batch.phase === 'ended';
    if (index >= doneLines) return ended && batch.ending === 'cancelled' ? 'cancelled' : 'pending';
    switch (batch.outcomes[index]) {
      case LINE_OUTCOMES.failed:
        return 'failed';
      case LINE_OUTCOMES.invalid:
        return 'invalid';
      case LINE_OUTCOMES.expired:
        if (!ended) return 'pending';
        return batch.ending === 'cancelled' ? 'cancelled' : 'expired';
      default:
        return 'succeeded';
    }
  }

  tally(batch: SimulatedBatch<Payload>, nowMs: number): LineTally {
    const tally: LineTally = { succeeded: 0, errored: 0, expired: 0, cancelled: 0, pending: 0 };
    const doneLines = this.countDoneLines(batch, nowMs);
    for (let index = 0; index < batch.customIds.length; index += 1) {
      const result = this.resolveLine(batch, index, doneLines);
      if (result === 'failed' || result === 'invalid') tally.errored += 1;
      else tally[result] += 1;
    }
    return tally;
  }

  /** Stops every timer: after close() no batch moves on. */
  close(): void {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private finishValidating(batch: SimulatedBatch<Payload>): void {
    if (batch.failure !== undefined) {
      this.end(batch, 'failed');
      return;
    }
    batch.inProgressAtMs = Date.now();
    this.setPhase(batch, 'in_progress');
    this.schedule(batch, this.phaseEndMs(batch, 0.9), () => {
      batch.finalizingAtMs = Date.now();
      this.setPhase(batch, 'finalizing');
      this.schedule(batch, this.phaseEndMs(batch, 1), () => {
        const expired = batch.outcomes.includes(LINE_OUTCOMES.expired);
        this.end(batch, expired ? 'expired' : 'completed');
      });
    });
  }

  private end(batch: SimulatedBatch<Payload>, ending: BatchEnding): void {
    this.timers.delete(batch.id);
    this.release(batch);
    batch.endedAtMs = Date.now();
    batch.ending = ending;
    this.setPhase(batch, 'ended');
    this.options.onEnd(batch);
    const doneLines = this.countDoneLines(batch, batch.endedAtMs);
    for (let index = 0; index < doneLines; index += 1) {
      if (this.resolveLine(batch, index, doneLines) === 'succeeded') {
        this.options.stats.recordSucceeded(batch.dialect, batch.customIds[index]!);
      }
    }
  }

  private setPhase(batch: SimulatedBatch<Payload>, phase: BatchPhase): void {
    const before = this.options.describeStatus(batch);
    batch.phase = phase;
    const after = this.options.describeStatus(batch);
    if (after !== before) this.options.stats.recordStatusChange(before, after);
  }

  private release(batch: SimulatedBatch<Payload>): void {
    if (batch.failure !== undefined || batch.phase === 'cancelling' || batch.phase === 'ended') return;
    this.options.enqueued.release(batch.tokenPool, batch.tokens);
  }

  private phaseEndMs(batch: SimulatedBatch<Payload>, fraction: number): number {
    return batch.createdAtMs + Math.round(this.options.lifetimeMs * fraction);
  }

  private schedule(batch: SimulatedBatch<Payload>, atMs: number, step: () => void): void {
    const previous = this.timers.get(batch.id);
    if (previous !== undefined) clearTimeout(previous);
    if (this.closed) return;
    // Unref: a test that forgets close() must not be kept alive by a batch that nobody will read.
    const timer = setTimeout(step, Math.max(0, atMs - Date.now()));
    timer.unref();
    this.timers.set(batch.id, timer);
  }
}
