import type { Chunk } from '../../core/chunk.ts';

/** One chunk as the progress line and `status` show it, e.g. `#3 in_progress 120/500`. */
export function describeChunk(chunk: Chunk): string {
  const label =
    chunk.state === 'planned'
      ? 'planned'
      : chunk.state === 'uploaded'
        ? 'uploaded'
        : chunk.state === 'ended'
          ? `downloading (${chunk.rawStatus ?? 'ended'})`
          : chunk.state === 'merged'
            ? 'merged'
            : (chunk.rawStatus ?? 'submitted');
  const counts =
    chunk.state === 'submitted' && chunk.counts !== null && chunk.counts.total > 0
      ? ` ${String(chunk.counts.completed + chunk.counts.failed)}/${String(chunk.counts.total)}`
      : '';
  return `#${String(chunk.chunkNo)} ${label}${counts}`;
}
