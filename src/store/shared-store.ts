import type { ChunkWorkStore } from './chunk-work-store.ts';
import type { JobFileStore } from './job-file-store.ts';
import type { SharedLimitsStore } from './shared-limits-store.ts';
import type { Store } from './store.ts';
import type { WorkSliceStore } from './work-slice-store.ts';

/**
 * A store many processes share: the contract, plus the work handed out to workers (0031), the limits they share
 * (0032), batch-mode chunks handed out as slices (0034) and the files a job's run needs (0035).
 */
export type SharedStore = Store & WorkSliceStore & SharedLimitsStore & ChunkWorkStore & JobFileStore;

/** Whether `store` is shared by workers (PostgreSQL), so a job in it runs in slices. */
export function isSharedStore(store: Store): store is SharedStore {
  return (
    'cutSlices' in store &&
    'claimSlice' in store &&
    'takeTokens' in store &&
    'handOutChunks' in store &&
    'putJobFile' in store
  );
}
