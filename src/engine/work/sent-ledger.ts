import type { WorkSliceStore } from '../../store/work-slice-store.ts';
import type { Clock } from '../../util/clock.ts';

interface Waiting {
  seq: number;
  attempt: number;
  sentAt: number;
  resolve: (recorded: boolean) => void;
  reject: (error: Error) => void;
}

/**
 * The attempt ledger's writer (docs/decisions/0031): every attempt a worker is about to send is recorded before it
 * goes out. Attempts asked for in the same turn of the event loop are written together, one statement per job, so
 * the ledger costs a statement per burst of sends, not per request. The store records only attempts in slices the
 * worker still holds, so a worker that lost a slice (stopped, cut off) sends none of it once it wakes.
 */
export class SentLedger {
  private readonly store: Pick<WorkSliceStore, 'recordSent'>;
  private readonly holder: string;
  private readonly clock: Clock;
  private waiting = new Map<string, Waiting[]>();
  private scheduled = false;

  constructor(store: Pick<WorkSliceStore, 'recordSent'>, holder: string, clock: Clock) {
    this.store = store;
    this.holder = holder;
    this.clock = clock;
  }

  /**
   * Resolves true once the attempt is recorded as sent, false when it was refused (its slice is no longer this
   * worker's: it must not be sent); rejects when the store could not record it.
   */
  async record(jobId: string, seq: number, attempt: number): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      let list = this.waiting.get(jobId);
      if (list === undefined) {
        list = [];
        this.waiting.set(jobId, list);
      }
      list.push({ seq, attempt, sentAt: this.clock.now(), resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batches = this.waiting;
    this.waiting = new Map();
    for (const [jobId, list] of batches) {
      this.store.recordSent(jobId, this.holder, list).then(
        (refused) => {
          const lost = new Set(refused);
          for (const entry of list) entry.resolve(!lost.has(entry.seq));
        },
        (error: unknown) => {
          const failure = error instanceof Error ? error : new Error(String(error));
          for (const entry of list) entry.reject(failure);
        },
      );
    }
  }
}
