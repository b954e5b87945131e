import type { ItemState } from '../core/states.ts';
import type { AnswerLookup } from '../output/answer-record.ts';

/** What a followed run tells its join-back: that it has ended, or that the join-back is to be given up. */
export class FollowGate {
  private ended = false;
  private settled = 0;
  private readonly stop = new AbortController();
  private readonly wakers = new Set<() => void>();

  /** The run has settled this many items (its progress, earlier runs' included). */
  progress(settled: number): void {
    this.settled = settled;
    this.wakeAll();
  }

  /**
   * Resolves once the run has settled `count` items, or has ended, or after `maxMs` (progress is a hint: an item
   * re-asked, or settled in an earlier run, may be counted otherwise; the answers' states decide).
   */
  async untilSettled(count: number, maxMs: number): Promise<void> {
    const deadline = Date.now() + maxMs;
    while (this.settled < count && !this.ended && !this.stop.signal.aborted && Date.now() < deadline) {
      await this.wait(deadline - Date.now());
    }
  }

  /** The run ended as one that is joined back: every item is as it will stay. */
  end(): void {
    this.ended = true;
    this.wakeAll();
  }

  /** The run stopped to be resumed (or failed): what is half written is thrown away. */
  abandon(): void {
    this.stop.abort();
    this.wakeAll();
  }

  get hasEnded(): boolean {
    return this.ended;
  }

  get signal(): AbortSignal {
    return this.stop.signal;
  }

  /** Resolves after `ms`, or at once when the run ends or the join-back is abandoned. */
  wait(ms: number): Promise<void> {
    if (this.ended || this.stop.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakers.add(wake);
    });
  }

  private wakeAll(): void {
    for (const wake of [...this.wakers]) wake();
  }
}

/** Where an item stays until the run ends, once the run has started (`JobRunOptions.onStarted`). */
const SETTLED: ReadonlySet<ItemState> = new Set<ItemState>(['succeeded', 'failed', 'cancelled']);

/** The first wait for a page not settled yet, and the longest: a page waits on at most its slowest request. */
const FIRST_WAIT_MS = 50;
const MAX_WAIT_MS = 1000;
/** How long a page waits for the run's progress to reach it before its answers are read anyway. */
const PROGRESS_WAIT_MS = 2000;

/**
 * `lookup`, following a run that is still answering: a page is handed on once every one of its items is stored and
 * settled (succeeded, failed or cancelled), or once the run has ended (then as it is: a missing item is missing).
 * Pages come in source order, which is the order items are sent in, so the join-back trails the run closely and
 * has little left to do when it ends. A page is first read when the run's progress says it may be settled; the
 * waits then grow (to a second) while it is not, so a slow page costs a query a second, not a busy loop; none
 * outlives the run, which always ends or abandons the gate.
 */
export function followAnswers(lookup: AnswerLookup, gate: FollowGate): AnswerLookup {
  let asked = 0;
  return async (customIds) => {
    // Items are sent in the order pages ask for them: a page is read once the run has settled as many items as the
    // pages so far hold, not polled while it is still being answered (each read of a page costs as much as the last).
    asked += customIds.length;
    await gate.untilSettled(asked, PROGRESS_WAIT_MS);
    let waitMs = FIRST_WAIT_MS;
    for (;;) {
      if (gate.signal.aborted) throw abandoned();
      // Read whether the run had ended before the answers: an end seen after could come after a stale read.
      const ended = gate.hasEnded;
      const answers = await lookup(customIds);
      if (ended || customIds.every((id) => SETTLED.has(answers.get(id)?.state as ItemState))) return answers;
      await gate.wait(waitMs);
      waitMs = Math.min(MAX_WAIT_MS, waitMs * 2);
    }
  };
}

function abandoned(): Error {
  const error = new Error('the run stopped before it ended; its join-back was given up');
  error.name = 'AbortError';
  return error;
}
