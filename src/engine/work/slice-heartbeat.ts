import type { SliceKey, WorkSliceStore } from '../../store/work-slice-store.ts';

/** How often held slices are heartbeated. */
export const SLICE_HEARTBEAT_MS = 1000;

export interface SliceHeartbeatOptions {
  store: Pick<WorkSliceStore, 'heartbeatSlices' | 'reclaimStaleSlices'>;
  holder: string;
  /** What the holder's own process starts with: its slices are never swept by it (docs/decisions/0031). */
  ownPrefix: string;
  staleMs: number;
  /** The slices the holder runs now. */
  held: () => SliceKey[];
  /** Told the slices the store no longer names the holder of. */
  lose: (keys: SliceKey[]) => void;
}

/**
 * Beats the holder's slices every second, and hands out again the slices of holders gone silent, so a job goes on
 * with any one process left. Returns the timer; clear it to stop.
 */
export function startSliceHeartbeat(options: SliceHeartbeatOptions): NodeJS.Timeout {
  const { store, holder } = options;
  return setInterval(() => {
    // Only slices held before the beat was sent can be missing from its answer: one claimed meanwhile is not lost.
    const before = options.held();
    store.heartbeatSlices(holder).then(
      (held) => options.lose(before.filter((slice) => !held.some((h) => h.sliceNo === slice.sliceNo))),
      () => undefined,
    );
    store.reclaimStaleSlices(options.staleMs, options.ownPrefix).catch(() => undefined);
  }, SLICE_HEARTBEAT_MS);
}
