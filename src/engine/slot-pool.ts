/**
 * A budget of in-flight requests shared by the realtime jobs of one process: the background
 * scheduler's `scheduler.max_concurrency`. Each job joins with a `SlotShare` and its
 * dispatcher takes a slot before sending and gives it back once the outcome is committed;
 * the job's own `concurrency` still bounds it too.
 *
 * Fair share, recomputed as jobs join and leave: with `n` jobs in the pool, a job may hold
 * up to `ceil(total / n)` slots. It may hold more only while no job below its share is
 * waiting (slots nobody else wants are not left idle). Nothing is taken back by force: once
 * a job below its share waits, jobs over their share get no new slot, so every slot they
 * give back goes to the waiting job, and a new small job reaches its share within about
 * one request's latency of a big one.
 *
 * A refused `tryAcquire` remembers its callback; when slots are given back (or a job
 * leaves), waiting jobs are called back, fewest slots held first, and try again.
 */

/** What a dispatcher needs of a shared budget (see `RealtimeDispatcher`'s `slots` option). */
export interface RequestSlots {
  /**
   * Takes one slot and returns true, or returns false and calls `onAvailable` once, later,
   * when a slot may be free for this holder (it should then try again).
   */
  tryAcquire(onAvailable: () => void): boolean;
  /** Gives back slots taken with `tryAcquire`. */
  release(count: number): void;
}

export class SlotPool {
  /** Requests in flight across all shares at most. Minimum: 1. */
  readonly total: number;
  private readonly shares = new Set<SlotShare>();
  private usedSlots = 0;
  private wakeScheduled = false;

  constructor(total: number) {
    if (!Number.isInteger(total) || total < 1)
      throw new RangeError(`slot pool total must be 1 or more, got ${String(total)}`);
    this.total = total;
  }

  /** Slots held across all shares. */
  get used(): number {
    return this.usedSlots;
  }

  /** Jobs in the pool. */
  get size(): number {
    return this.shares.size;
  }

  /** The most slots a job may hold while another job below its share waits. */
  get fairShare(): number {
    return Math.ceil(this.total / Math.max(1, this.shares.size));
  }

  /** A job joins the pool; `leave()` the share when the job ends. */
  join(name = ''): SlotShare {
    const share = new SlotShare(this, name);
    this.shares.add(share);
    return share;
  }

  /** @internal for SlotShare */
  acquireFor(share: SlotShare, onAvailable: () => void): boolean {
    if (!this.shares.has(share)) throw new Error(`slot share ${share.name} has left the pool`);
    if (this.usedSlots < this.total && (share.held < this.fairShare || !this.hasWaiterBelowShare(share))) {
      share.held += 1;
      share.waiter = undefined;
      this.usedSlots += 1;
      return true;
    }
    share.waiter = onAvailable;
    return false;
  }

  /** @internal for SlotShare */
  releaseFor(share: SlotShare, count: number): void {
    if (!Number.isInteger(count) || count < 0 || count > share.held) {
      throw new Error(`slot share ${share.name} gives back ${String(count)} slots but holds ${String(share.held)}`);
    }
    if (count === 0) return;
    share.held -= count;
    this.usedSlots -= count;
    this.scheduleWake();
  }

  /** @internal for SlotShare */
  leave(share: SlotShare): void {
    if (!this.shares.delete(share)) return;
    // A job that ends with requests still counted (it should not) must not shrink the pool for good.
    this.usedSlots -= share.held;
    share.held = 0;
    share.waiter = undefined;
    this.scheduleWake();
  }

  private hasWaiterBelowShare(except: SlotShare): boolean {
    const fair = this.fairShare;
    for (const share of this.shares) {
      if (share !== except && share.waiter !== undefined && share.held < fair) return true;
    }
    return false;
  }

  /**
   * Deferred to a microtask: the releasing dispatcher goes on synchronously first, and is
   * refused while someone below its share waits, so the waiter gets the slot.
   */
  private scheduleWake(): void {
    if (this.wakeScheduled) return;
    this.wakeScheduled = true;
    queueMicrotask(() => {
      this.wakeScheduled = false;
      this.wake();
    });
  }

  private wake(): void {
    const waiting = [...this.shares].filter((share) => share.waiter !== undefined).sort((a, b) => a.held - b.held);
    for (const share of waiting) {
      if (this.usedSlots >= this.total) return;
      const callback = share.waiter;
      share.waiter = undefined;
      callback?.();
    }
  }
}

/** One job's membership of a `SlotPool`. */
export class SlotShare implements RequestSlots {
  readonly name: string;
  /** Slots this job holds now. */
  held = 0;
  /** @internal set while a `tryAcquire` was refused and not called back yet. */
  waiter: (() => void) | undefined;
  private readonly pool: SlotPool;

  constructor(pool: SlotPool, name: string) {
    this.pool = pool;
    this.name = name;
  }

  get waiting(): boolean {
    return this.waiter !== undefined;
  }

  tryAcquire(onAvailable: () => void): boolean {
    return this.pool.acquireFor(this, onAvailable);
  }

  release(count: number): void {
    this.pool.releaseFor(this, count);
  }

  /** The job is done with the pool: its share goes to the others. */
  leave(): void {
    this.pool.leave(this);
  }
}
