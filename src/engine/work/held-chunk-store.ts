import type { ChunkStore } from '../../store/store.ts';
import type { ChunkWorkStore } from '../../store/chunk-work-store.ts';
import type { HeldSlice } from '../../store/work-slice-store.ts';

/**
 * The `ChunkStore` a holder of a slice of kind chunk runs that chunk's steps against (docs/decisions/0034): reads go
 * to the store as they are, and every write of the chunk (a remote step's ids and status, merged results, the close)
 * goes through the store's fenced calls, so a holder that lost the chunk writes nothing (`SLICE_LOST`). A write to
 * another chunk, or a new chunk, is a bug: the holder of one chunk writes only that one.
 */
export function heldChunkStore(
  store: ChunkStore & ChunkWorkStore,
  slice: HeldSlice & { chunkNo: number },
  holder: string,
): ChunkStore {
  const only = (chunkNo: number): void => {
    if (chunkNo !== slice.chunkNo) {
      throw new Error(`the holder of chunk ${String(slice.chunkNo)} wrote to chunk ${String(chunkNo)}`);
    }
  };
  return {
    pendingItems: (jobId) => store.pendingItems(jobId),
    createChunk: () => Promise.reject(new Error('the holder of a chunk cuts no chunk')),
    listChunks: (jobId) => store.listChunks(jobId),
    chunkItems: (jobId, chunkNo) => store.chunkItems(jobId, chunkNo),
    updateChunk: async (_jobId, chunkNo, patch) => {
      only(chunkNo);
      return store.updateHeldChunk(slice, holder, patch);
    },
    mergeChunkResults: async (_jobId, chunkNo, lines) => {
      only(chunkNo);
      return store.mergeHeldChunkResults(slice, holder, lines);
    },
    closeChunk: async (_jobId, chunkNo, options) => {
      only(chunkNo);
      return store.closeHeldChunk(slice, holder, options);
    },
  };
}
