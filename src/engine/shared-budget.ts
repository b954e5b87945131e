import type { SharedLimitsStore } from '../store/store.ts';
import type { Clock } from '../util/clock.ts';
import { REACHED, RESERVED, type SpendAdmission, type SpendGuard } from './spend-guard.ts';

export interface SharedBudgetOptions {
  jobId: string;
  store: Pick<SharedLimitsStore, 'reserveBudget' | 'settleBudget'>;
  /** `limits.budget_usd` of the whole job, all workers together. */
  limitUsd: number;
  /** What earlier runs spent: seeds the job's budget row when this is the first reservation ever made for it. */
  spentBeforeUsd: number;
  clock: Clock;
  /**
   * How many requests' worth (of the request that asks) one draw reserves.
   * @default 4
   */
  drawRequests?: number;
  /**
   * Answers are settled with the store in batches: at least this often while any wait...
   * @default 250
   */
  settleEveryMs?: number;
  /**
   * ...and at once when this many wait.
   * @default 32
   */
  settleBatch?: number;
  /** Told when the store failed a draw or a settlement and every retry of it. */
  onError?: (error: unknown) => void;
  /**
   * The waits between tries of a failed draw or settlement: its retries are this many.
   * @default [100, 400, 1600]
   */
  retryDelaysMs?: readonly number[];
}

/**
 * A `SpendGuard` for one of several workers running the same job: `limits.budget_usd` is reserved and settled in the
 * job's database (`SharedLimitsStore`), which grants only what keeps spent + reserved within the limit.
 *
 * This worker draws an allowance of a few requests' worth (`drawRequests`) and reserves each request from it
 * without a statement; an allowance that cannot cover a request starts a draw (one at a time) and the dispatcher is
 * told to wait a few ms. A draw that comes back short is the budget reached: once this worker's own answers waiting
 * to be settled have been settled (their reservations may free some) and a last draw is still short, `admit` says
 * `reached` from then on, as `BudgetGuard` does at its first refusal. A request not sent or failed goes back to the
 * allowance. Answers (estimate out, real cost in) are settled in batches, every `settleEveryMs` or `settleBatch`
 * answers. `close` settles what waits and gives back what is left of the allowance.
 *
 * The bound (docs/decisions/0032): the store's spent + reserved never passes the limit by a grant; a request's
 * estimate stays reserved until its real cost replaces it. So what all workers together spend passes the limit by no
 * more than what answers cost above their estimates, as for one process: the number of workers, their allowances
 * and the settling delay add nothing to it (they only hold back budget that is then unspent).
 */
export class SharedBudget implements SpendGuard {
  private readonly options: SharedBudgetOptions;
  private readonly retryDelaysMs: readonly number[];
  /** Reserved in the store for this worker and not yet taken by a request. */
  private allowance = 0;
  /** Answers waiting to be settled: their estimates, their real costs, how many. */
  private pendingReleased = 0;
  private pendingSpent = 0;
  private pendingCount = 0;
  private settleTimer: NodeJS.Timeout | undefined;
  private lastSettleAt: number;
  private drawing: Promise<void> | null = null;
  private settling: Promise<void> | null = null;
  /** The last draw came back short, with nothing left to settle first: the next request that does not fit ends it. */
  private exhausted = false;
  private reached = false;
  private closed = false;
  private failure: unknown = undefined;

  constructor(options: SharedBudgetOptions) {
    this.options = options;
    this.retryDelaysMs = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    this.lastSettleAt = options.clock.now();
  }

  get isReached(): boolean {
    return this.reached;
  }

  /** The store's failure that stopped the last draw or settlement, until one succeeds again. */
  get error(): unknown {
    return this.failure;
  }

  admit(costUsd: number): SpendAdmission {
    if (this.reached) return REACHED;
    if (costUsd <= this.allowance + EPSILON_USD) {
      this.allowance = Math.max(0, this.allowance - costUsd);
      return RESERVED;
    }
    if (this.drawing !== null || this.closed) return WAIT_FOR_DRAW;
    if (this.exhausted) {
      this.reached = true;
      return REACHED;
    }
    this.drawing = this.draw(costUsd).finally(() => {
      this.drawing = null;
    });
    return WAIT_FOR_DRAW;
  }

  settle(estimateUsd: number, actualUsd: number): void {
    this.pendingReleased += estimateUsd;
    this.pendingSpent += actualUsd;
    this.pendingCount += 1;
    const settleEveryMs = this.options.settleEveryMs ?? DEFAULT_SETTLE_EVERY_MS;
    if (
      this.pendingCount >= (this.options.settleBatch ?? DEFAULT_SETTLE_BATCH) ||
      this.options.clock.now() - this.lastSettleAt >= settleEveryMs
    ) {
      this.startSettle();
    } else {
      this.settleTimer ??= setTimeout(() => {
        this.settleTimer = undefined;
        this.startSettle();
      }, settleEveryMs);
    }
  }

  release(estimateUsd: number): void {
    this.allowance += estimateUsd;
  }

  /** Resolves once no draw and no settlement is under way (tests wait on it; `close` does). */
  async whenSettled(): Promise<void> {
    while (this.drawing !== null || this.settling !== null) await Promise.all([this.drawing, this.settling]);
  }

  /**
   * No more requests: what waits is settled and the allowance given back, in one statement. Requests still out
   * stay reserved in the store (the dispatcher is idle before its budget closes). A failure goes to `onError`.
   */
  async close(): Promise<void> {
    this.closed = true;
    if (this.settleTimer !== undefined) clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
    await this.whenSettled();
    this.pendingReleased += this.allowance;
    this.allowance = 0;
    if (this.pendingReleased > 0 || this.pendingSpent > 0) await this.flush();
  }

  /** Draws an allowance for a request of `costUsd`: a few requests' worth, less what is left. */
  private async draw(costUsd: number): Promise<void> {
    const { store, jobId, limitUsd, spentBeforeUsd } = this.options;
    const wantUsd = costUsd * (this.options.drawRequests ?? DEFAULT_DRAW_REQUESTS) - this.allowance;
    const reserve = (): Promise<number> => store.reserveBudget(jobId, { limitUsd, wantUsd, spentBeforeUsd });
    const granted = await this.withRetries(reserve);
    if (granted === undefined) return;
    this.allowance += granted;
    if (this.allowance + EPSILON_USD >= costUsd) return;
    // Short: the budget is spent or reserved. This worker's answers waiting to be settled may free some of it.
    if (this.pendingCount > 0) {
      await this.waitForSettling();
      await this.flush();
      const more = await this.withRetries(reserve);
      if (more === undefined) return;
      this.allowance += more;
      if (this.allowance + EPSILON_USD >= costUsd) return;
    }
    this.exhausted = true;
  }

  private startSettle(): void {
    if (this.settling !== null || this.pendingCount === 0) return;
    this.settling = this.flush().finally(() => {
      this.settling = null;
    });
  }

  private async waitForSettling(): Promise<void> {
    while (this.settling !== null) await this.settling;
  }

  /** Settles what waits in one statement; on failure it waits again, for the next settlement or `close`. */
  private async flush(): Promise<void> {
    const released = this.pendingReleased;
    const spent = this.pendingSpent;
    const count = this.pendingCount;
    this.pendingReleased = 0;
    this.pendingSpent = 0;
    this.pendingCount = 0;
    this.lastSettleAt = this.options.clock.now();
    const { store, jobId } = this.options;
    const done = await this.withRetries(() => store.settleBudget(jobId, released, spent).then(() => true));
    if (done === true) return;
    this.pendingReleased += released;
    this.pendingSpent += spent;
    this.pendingCount += count;
  }

  /** `work`'s result, tried again on failure; undefined once every try failed (then `onError` has been told). */
  private async withRetries<T>(work: () => Promise<T>): Promise<T | undefined> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        const result = await work();
        this.failure = undefined;
        return result;
      } catch (error) {
        const delay = this.retryDelaysMs[attempt];
        if (delay === undefined) {
          this.failure = error;
          this.options.onError?.(error);
          return undefined;
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}

const WAIT_FOR_DRAW: SpendAdmission = Object.freeze({ kind: 'wait', ms: 5 });
/** Dollars are summed as floats: a request costing what the allowance holds fits, whatever the last bits say. */
const EPSILON_USD = 1e-12;
const DEFAULT_DRAW_REQUESTS = 4;
const DEFAULT_SETTLE_EVERY_MS = 250;
const DEFAULT_SETTLE_BATCH = 32;
const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [100, 400, 1600];
