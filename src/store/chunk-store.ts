import type { Attempt } from '../core/attempt.ts';
import type { Chunk } from '../core/chunk.ts';
import type { ItemCheck, ItemError } from '../core/item.ts';
import type { OpenItem } from './item-store.ts';

/**
 * The chunks role of the store (batch mode, see core/chunk.ts): chunks cut from pending items,
 * their remote steps, and the merge of their results. A chunk's state changes are checked
 * against the chunk lifecycle; its items are `in_flight` while it is open.
 */
export interface ChunkStore {
  /**
   * Pending items in input order: what the next chunk is cut from. A re-asked item comes with its
   * `reasks` and `previous` answer (see `OpenItem`).
   */
  pendingItems(jobId: string): AsyncIterable<OpenItem>;
  /**
   * Create the next-numbered chunk (1, 2, ...) in state `planned` and move its items from pending
   * to in_flight in it, in one transaction; throws, changing nothing, when one of them is not pending.
   */
  createChunk(jobId: string, chunk: NewChunk, seqs: readonly number[]): Promise<Chunk>;
  /** Record a remote step (ids, status, times); the state change is checked. */
  updateChunk(jobId: string, chunkNo: number, patch: ChunkPatch): Promise<Chunk>;
  /** The job's chunks by number. */
  listChunks(jobId: string): Promise<Chunk[]>;
  /** The chunk's items still waiting for a result, in input order. */
  chunkItems(jobId: string, chunkNo: number): AsyncIterable<OpenItem>;
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
      /** The check of the answer, when an answer review checked it. */
      check?: ItemCheck;
    }
  /** Answered but not valid, and asked again in a later chunk (a re-ask wave): see `ItemUpdate`'s `pending`. */
  | {
      state: 'reask';
      reasks: number;
      statusCode: number;
      requestId: string | null;
      body: string;
      check: ItemCheck;
      attempt: Attempt;
    }
  | { state: 'failed'; error: ItemError; completedAt: number; attempt: Attempt }
  /** Resubmit in a new chunk. */
  | { state: 'pending'; error: ItemError; attempt: Attempt };

export type CloseChunkOptions =
  | { kind: 'resubmit'; countAttempt: boolean; maxAttempts: number; error: ItemError; now: number }
  | { kind: 'cancel'; now: number };

export interface CloseChunkResult {
  resubmitted: number;
  failed: number;
  cancelled: number;
}
