import type { JobProgressBatch, OpenItem } from './item-store.ts';

/**
 * The work role of a shared store (docs/decisions/0031): a running job's open items cut into slices that workers on
 * any machine claim, heartbeat and finish, the attempt ledger, and request bodies kept in the store. Only a store many
 * processes share implements it (PostgreSQL); it is not part of `Store`, and `isWorkSliceStore` tells whether a store
 * has it. How slices are handed out (a queue) is the store's business: callers see claims, never the queue.
 *
 * Times here are the database's (heartbeats, staleness), so machines with skewed clocks share one notion of "stale".
 */
export interface WorkSliceStore {
  /**
   * Cuts the job's open items (pending, retry_wait) into slices of at most `size` items and hands them out; slices
   * still open from an earlier cut are withdrawn first (their holders lose them). Returns how many slices were cut.
   */
  cutSlices(jobId: string, size: number): Promise<number>;
  /**
   * Cuts the open items committed since the last cut into slices of `size` and hands them out, while the input is
   * still being read: only whole slices unless `final` (the input's end). Returns how many slices were cut.
   */
  appendSlices(jobId: string, size: number, final: boolean): Promise<number>;
  /**
   * Claims the next slice handed out of one of these jobs for `holder`, or undefined when none waits. The attempts
   * a lost holder had recorded as sent in it are cleared and counted (`inDoubt`): they are sent again.
   */
  claimSlice(jobIds: readonly string[], holder: string): Promise<HeldSlice | undefined>;
  /** Heartbeats every slice `holder` holds; returns those it still holds (one taken from it is absent). */
  heartbeatSlices(holder: string): Promise<SliceKey[]>;
  /** The slice's items are all settled: it is done. False when `holder` no longer held it. */
  finishSlice(key: SliceKey, holder: string): Promise<boolean>;
  /**
   * Gives back every slice `holder` holds (a worker stopping), or only `only` (one it stopped): handed out again at
   * once. Returns how many.
   */
  releaseSlices(holder: string, only?: SliceKey): Promise<number>;
  /**
   * Hands out again every open slice whose holder has not heartbeated for `staleMs`, except those of holders starting
   * with `ownPrefix` (the caller's own: a process just woken from a pause heartbeats its slices itself, and taking
   * them back under its own name would leave its earlier work on them unfenced). Returns how many.
   */
  reclaimStaleSlices(staleMs: number, ownPrefix?: string): Promise<number>;
  /** No slice of the job is handed out any more, and its holders lose theirs (the job stops). */
  withdrawSlices(jobId: string): Promise<void>;
  /** The job's slices by state: what the process waiting for its end reads. */
  sliceCounts(jobId: string): Promise<SliceCounts>;
  /** Jobs with a slice open, whose ids match `pattern` (a glob with `*`; undefined: all). */
  jobsWithOpenSlices(pattern?: string): Promise<string[]>;
  /** The unfinished items (pending, retry_wait) of a slice, in seq order, as resume reads them. */
  sliceItems(jobId: string, firstSeq: number, lastSeq: number): Promise<OpenItem[]>;
  /** The text of these items' lines, from the store (a worker cannot read the submitter's input file). */
  requestTexts(jobId: string, seqs: readonly number[]): Promise<Map<number, string>>;
  /**
   * The attempt ledger: these attempts are about to be sent by `holder`. Only those in a slice it still holds are
   * recorded; returns the seqs refused (their slice went to another worker), which must not be sent.
   */
  recordSent(jobId: string, holder: string, sent: readonly SentAttempt[]): Promise<number[]>;
  /**
   * `commitProgress` for a worker: in one transaction, what falls in slices `holder` still holds is committed (and
   * its ledger rows closed); what falls in a slice it lost is dropped, since the slice's new holder sends it again.
   * Returns the slices found lost.
   */
  commitSliceProgress(batches: readonly JobProgressBatch[], holder: string): Promise<SliceKey[]>;
  /** A worker stopped the job's work for a reason every worker and the waiting process must honour; the first wins. */
  stopJobWork(jobId: string, stop: WorkStop): Promise<void>;
  /** Why the job's work was stopped, if it was; cleared by `cutSlices` (a resume). */
  workStop(jobId: string): Promise<WorkStop | undefined>;
}

export interface SliceKey {
  jobId: string;
  sliceNo: number;
}

export interface HeldSlice extends SliceKey {
  firstSeq: number;
  lastSeq: number;
  /** Attempts a lost holder had out in this slice (see `claimSlice`). */
  inDoubt: number;
  /** How often the slice was handed out before: above 0, another holder had it (lost, or given back). */
  generation: number;
  /** A slice of kind chunk (batch mode, store/chunk-work-store.ts): the chunk whose steps its holder runs. */
  chunkNo?: number;
}

export interface SentAttempt {
  seq: number;
  attempt: number;
  sentAt: number;
}

export interface SliceCounts {
  open: number;
  held: number;
  done: number;
}

export interface WorkStop {
  reason: 'auth' | 'budget' | 'unreachable';
  message: string;
  /** The HTTP status that stopped it (401/403). */
  status?: number;
}
