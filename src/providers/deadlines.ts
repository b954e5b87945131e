/** Something with a deadline in a `Deadlines` list; the links are the list's own. */
export interface DeadlineEntry {
  deadlineAt: number;
  previousDeadline: DeadlineEntry | null;
  nextDeadline: DeadlineEntry | null;
  /** The deadline passed: the entry is already out of the list. */
  expire(): void;
}

/**
 * The deadlines of every request in flight of a provider, with one timer for all of them: a
 * request adds itself and removes itself when it ends, both O(1) when requests share one timeout
 * (the list stays in deadline order by appending), where a timer, an AbortController and an abort
 * listener each cost a few microseconds per request at thousands of requests a second.
 *
 * The timer is armed for the earliest deadline; a request ending before it fires leaves the timer
 * as it is (it then fires early, finds nothing due and re-arms). It does not keep the process
 * alive: a request in flight does, through its socket.
 */
export class Deadlines {
  private head: DeadlineEntry | null = null;
  private tail: DeadlineEntry | null = null;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  add(entry: DeadlineEntry, deadlineAt: number): void {
    entry.deadlineAt = deadlineAt;
    // From the tail back to the first entry due no later: the tail itself when timeouts are equal.
    let before = this.tail;
    while (before !== null && before.deadlineAt > deadlineAt) before = before.previousDeadline;
    entry.previousDeadline = before;
    entry.nextDeadline = before === null ? this.head : before.nextDeadline;
    if (entry.nextDeadline === null) this.tail = entry;
    else entry.nextDeadline.previousDeadline = entry;
    if (before === null) this.head = entry;
    else before.nextDeadline = entry;
    if (deadlineAt < this.timerAt) this.arm(deadlineAt);
  }

  /** Takes the entry out; nothing happens for one not in the list (expired already). */
  remove(entry: DeadlineEntry): void {
    if (entry.previousDeadline === null && this.head !== entry) return;
    if (entry.previousDeadline === null) this.head = entry.nextDeadline;
    else entry.previousDeadline.nextDeadline = entry.nextDeadline;
    if (entry.nextDeadline === null) this.tail = entry.previousDeadline;
    else entry.nextDeadline.previousDeadline = entry.previousDeadline;
    entry.previousDeadline = null;
    entry.nextDeadline = null;
    if (this.head === null) this.disarm();
  }

  /** Every entry, earliest deadline first (for aborting them all). */
  *entries(): Generator<DeadlineEntry> {
    for (let entry = this.head; entry !== null;) {
      const next = entry.nextDeadline;
      yield entry;
      entry = next;
    }
  }

  private arm(at: number): void {
    this.disarm();
    this.timerAt = at;
    this.timer = setTimeout(() => this.fire(), Math.max(0, at - this.now()));
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.now();
    while (this.head !== null && this.head.deadlineAt <= now) {
      const due = this.head;
      this.remove(due);
      due.expire();
    }
    if (this.head !== null) this.arm(this.head.deadlineAt);
  }
}
