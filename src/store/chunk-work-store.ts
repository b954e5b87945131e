import type { Chunk } from '../core/chunk.ts';
import type { ChunkLineOutcome, ChunkPatch, CloseChunkOptions, CloseChunkResult } from './chunk-store.ts';
import type { SliceKey } from './work-slice-store.ts';

/**
 * Batch-mode chunks handed out to workers (docs/decisions/0034), beside the work role's slices
 * (store/work-slice-store.ts): each chunk the submitting process cuts becomes a slice of kind chunk, claimed,
 * heartbeated, reclaimed and finished through `WorkSliceStore` like any other (a claimed slice of kind chunk has its
 * `chunkNo`). Its holder writes the chunk only through the `...HeldChunk...` calls below: each runs in one transaction
 * that first locks the slice (`FOR SHARE`) as still held by `holder`, so a takeover waits for the write, and a write
 * after a takeover changes nothing and fails with `SLICE_LOST` (a `StoreError`). Only a store many processes share
 * implements it.
 */
export interface ChunkWorkStore {
  /**
   * Hands out these chunks of the job as slices of kind chunk (their open slices of earlier hand-outs withdrawn first).
   * `restart` (a run starting or resuming): every open slice of the job is withdrawn first and a stop a worker recorded
   * is cleared, as `cutSlices` does. Returns how many were handed out.
   */
  handOutChunks(jobId: string, chunkNos: readonly number[], options?: { restart?: boolean }): Promise<number>;
  /** `updateChunk` of the chunk `slice` names, by its holder only (see above). */
  updateHeldChunk(slice: SliceKey, holder: string, patch: ChunkPatch): Promise<Chunk>;
  /** `mergeChunkResults` of the chunk `slice` names, by its holder only. */
  mergeHeldChunkResults(slice: SliceKey, holder: string, lines: readonly ChunkLineOutcome[]): Promise<number>;
  /** `closeChunk` of the chunk `slice` names, by its holder only. */
  closeHeldChunk(slice: SliceKey, holder: string, options: CloseChunkOptions): Promise<CloseChunkResult>;
  /**
   * The answer bodies of the chunk's items that succeeded in it, in seq order: what the submitting process prices a
   * chunk another process merged at (`limits.budget_usd`), whoever merged which part of it.
   */
  chunkAnswers(jobId: string, chunkNo: number): AsyncIterable<string>;
}
