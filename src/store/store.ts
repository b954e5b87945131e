import type { Attempt } from '../core/attempt.ts';
import type { Chunk } from '../core/chunk.ts';
import type { IngestCursor, InputFingerprint, Job, JobCounts, JobLease } from '../core/job.ts';
import type { ItemError, ItemLocation, ItemRecord, MissingReason } from '../core/item.ts';
import type { Reject } from '../core/reject.ts';
import type { JobState } from '../core/states.ts';

/**
 * The state store contract. The engine, output writer and CLI talk to the store only
 * through this interface.
 *
 * Deliberately left out: SQL, connections, transactions as objects, HTTP, providers and
 * request bodies. The store keeps where each item's line sits in the input file (offset and
 * length), never a second copy of the input. Every method that writes is atomic: after a
 * crash, either all of one call's changes are there or none.
 */
export interface Store {
  createJob(job: NewJob): Promise<Job>;
  getJob(jobId: string): Promise<Job | undefined>;
  listJobs(): Promise<Job[]>;
  setJobState(
    jobId: string,
    state: JobState,
    patch?: { activeMsDelta?: number; finishedAt?: number | null },
  ): Promise<void>;
  /** Record the input's mtime after resume checked the whole file again: the next resume is quick again. */
  setInputMtime(jobId: string, mtimeMs: number): Promise<void>;
  /** Replace the stored (secret-free) config, e.g. when `resume` overrides concurrency. */
  setJobConfig(jobId: string, config: Record<string, unknown>): Promise<void>;

  /**
   * Take the job's lease. Refused with `StoreError` `JOB_LOCKED` while another live holder
   * heartbeats; a holder whose heartbeat is older than `staleMs`, or whose pid is gone on
   * this host, is taken over.
   */
  acquireLease(jobId: string, lease: JobLease, staleMs: number): Promise<void>;
  /**
   * Refresh the lease. While the job is `running` or `finalizing`, the time since the previous
   * heartbeat (at most `maxStepMs`, so a suspended machine does not count) is added to the job's
   * active time: a run killed with -9 keeps all but its last heartbeat interval of it.
   */
  heartbeat(jobId: string, token: string, now: number, maxStepMs: number): Promise<void>;
  releaseLease(jobId: string, token: string): Promise<void>;

  /**
   * Commit newly read lines and the reader's position, in one transaction. Each valid line
   * becomes an item: pending while fewer than `limit` items are accepted (0 = no limit),
   * else cancelled with reason `limit`. A line whose `customId` the job already has becomes
   * a reject instead. Returns the items accepted as pending, which the caller may send.
   */
  ingest(jobId: string, batch: IngestBatch): Promise<IngestResult>;

  /**
   * Commit what happened to in-flight items: their attempts and new states, of one job or
   * several (the scheduler's group commit), in one transaction.
   */
  commitProgress(batches: readonly JobProgressBatch[]): Promise<void>;

  /** Where every item's line sits (with its line hash), in input order: what resume checks when the input was touched. */
  iterateLocations(jobId: string): AsyncIterable<ItemLocation>;
  /** Unfinished items (pending, retry_wait) in input order, for resume. */
  iterateUnfinished(jobId: string): AsyncIterable<ItemLocation & { attempts: number }>;
  /** Move items back to pending: `failed` for `retry JOB`, `cancelled` (except for `limit`) for resume. */
  reopenItems(jobId: string, from: 'failed' | 'cancelled'): Promise<number>;
  /** Mark every unfinished item cancelled with a reason (interrupt, auth failure). */
  cancelUnfinished(jobId: string, reason: MissingReason): Promise<number>;

  /** Every item with its result, in input order or in completion order. */
  iterateItems(jobId: string, order: 'input' | 'completion'): AsyncIterable<ItemRecord>;
  iterateRejects(jobId: string): AsyncIterable<Reject>;
  counts(jobId: string): Promise<JobCounts>;
  attemptStats(jobId: string): Promise<AttemptStats>;
  /** Items finished since `sinceMs`, and when the last one finished: the rate and liveness `status` shows. */
  activity(jobId: string, sinceMs: number): Promise<JobActivity>;
  /** The latest failed attempts, newest first, for `monitor`. */
  recentFailures(jobId: string, limit: number): Promise<RecentFailure[]>;

  // Batch mode: chunks (see core/chunk.ts).
  /** Pending items in input order after `afterSeq`: what the next chunk is cut from. */
  pendingItems(jobId: string, afterSeq: number, limit: number): Promise<(ItemLocation & { attempts: number })[]>;
  /** Create the next-numbered chunk and move its items from pending into it, in one transaction. */
  createChunk(jobId: string, chunk: NewChunk, seqs: readonly number[]): Promise<Chunk>;
  /** Record a remote step (ids, status, times); the state change is checked. */
  updateChunk(jobId: string, chunkNo: number, patch: ChunkPatch): Promise<Chunk>;
  listChunks(jobId: string): Promise<Chunk[]>;
  /** The chunk's items still waiting for a result, in input order after `afterSeq`. */
  chunkItems(
    jobId: string,
    chunkNo: number,
    afterSeq: number,
    limit: number,
  ): Promise<(ItemLocation & { attempts: number })[]>;
  /**
   * Commit result lines of a chunk. Only items still waiting in this chunk change, so
   * merging the same lines twice is harmless. Returns how many changed.
   */
  mergeChunkResults(jobId: string, chunkNo: number, lines: readonly ChunkLineOutcome[]): Promise<number>;
  /**
   * Close a chunk: its items with no result are resubmitted (pending again, with or without
   * an attempt counted), failed once out of attempts, or cancelled; the chunk becomes merged.
   */
  closeChunk(jobId: string, chunkNo: number, options: CloseChunkOptions): Promise<CloseChunkResult>;
  /** Ask whoever runs the job to cancel it (batch mode: the remote batches too). */
  requestCancel(jobId: string, now: number): Promise<void>;
  clearCancelRequest(jobId: string): Promise<void>;

  close(): Promise<void>;
}

export interface NewChunk {
  bytes: number;
  tokens: number;
  url: string;
  model: string | null;
  now: number;
}

export type ChunkPatch = Partial<
  Pick<
    Chunk,
    | 'state'
    | 'fileId'
    | 'batchId'
    | 'rawStatus'
    | 'counts'
    | 'end'
    | 'errors'
    | 'resultRefs'
    | 'submitStartedAt'
    | 'submittedAt'
    | 'endedAt'
    | 'mergedAt'
  >
>;

/** One result line of a chunk, with the attempt it closes (`attempt.seq` names the item). */
export type ChunkLineOutcome =
  | {
      state: 'succeeded';
      statusCode: number;
      requestId: string | null;
      body: string;
      completedAt: number;
      attempt: Attempt;
    }
  | { state: 'failed'; error: ItemError; completedAt: number; attempt: Attempt }
  /** Resubmit in a new chunk. */
  | { state: 'pending'; error: ItemError; attempt: Attempt };

export type CloseChunkOptions =
  | { action: 'resubmit'; countAttempt: boolean; maxAttempts: number; error: ItemError; now: number }
  | { action: 'cancel'; now: number };

export interface CloseChunkResult {
  resubmitted: number;
  failed: number;
  cancelled: number;
}

export interface NewJob {
  id: string;
  inputPath: string;
  inputFingerprint: InputFingerprint;
  config: Record<string, unknown>;
  outDir: string;
  now: number;
}

export interface NewItem extends ItemLocation {
  /** The line's text, used only to build a reject record when the custom_id is a duplicate. */
  raw: string;
}

export interface IngestBatch {
  items: NewItem[];
  rejects: Reject[];
  /** Where the reader stands after this batch; the counters are kept by the store. */
  position: Pick<IngestCursor, 'byte' | 'line' | 'seq' | 'done'>;
  limit: number;
  /** With `done`, when the reader streamed the whole file from byte 0: the sha256 of its content. */
  inputSha256?: string;
}

export interface IngestResult {
  pending: ItemLocation[];
  cursor: IngestCursor;
}

/** The change of one item's state that goes with an attempt's end. */
export type ItemUpdate =
  | {
      seq: number;
      state: 'succeeded';
      attempts: number;
      statusCode: number;
      requestId: string | null;
      /** JSON text, or its UTF-8 bytes (a large answer is never decoded: see `ProviderResponse.body`). */
      body: string | Uint8Array;
      completedAt: number;
    }
  | { seq: number; state: 'failed'; attempts: number; error: ItemError; completedAt: number }
  | { seq: number; state: 'retry_wait'; attempts: number; error: ItemError; nextAttemptAt: number }
  | { seq: number; state: 'cancelled'; attempts: number; missingReason: MissingReason };

/** One job's part of a group commit: attempts made and the items' new states. */
export interface JobProgressBatch {
  jobId: string;
  attempts: Attempt[];
  updates: ItemUpdate[];
}

export interface AttemptStats {
  attempts: number;
  /** Failed attempts by cause (`http_429`, `timeout`, ...). */
  failuresByCause: Record<string, number>;
  /** Failed attempts that another attempt of the same item followed, by cause. */
  retriesByCause: Record<string, number>;
  inputTokens: number;
  outputTokens: number;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
}

export interface JobActivity {
  finishedSince: number;
  lastFinishedAt: number | null;
}

export interface RecentFailure {
  customId: string;
  attempt: number;
  /** `http_500`, `timeout`, ... */
  cause: string;
  statusCode: number | null;
  at: number;
}
