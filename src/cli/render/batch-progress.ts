import { isOpenChunk } from '../../core/chunk.ts';
import { describeChunk } from '../../compose/status/describe-chunk.ts';
import type { BatchProgress } from '../../engine/batch/run-batch-job.ts';

export interface BatchProgressRenderer {
  update(progress: BatchProgress): void;
  /** A line of its own above the progress line (which a plain write would run into on a terminal). */
  note(line: string): void;
  stop(): void;
}

export function describeBatchProgress(progress: BatchProgress, now: number): string {
  const { counts } = progress;
  const open = progress.chunks.filter(isOpenChunk);
  const merged = progress.chunks.length - open.length;
  const parts = [
    `${String(counts.succeeded)} ok, ${String(counts.failed)} failed of ${String(counts.total)}`,
    `chunks: ${open.map(describeChunk).join(', ') || 'none open'}${merged > 0 ? ` (+${String(merged)} merged)` : ''}`,
  ];
  if (progress.cancelling) parts.push('cancelling');
  if (progress.tokenPauseUntil !== null) parts.push('enqueued-token limit: waiting');
  if (progress.network !== null) {
    const seconds = Math.max(0, Math.ceil((progress.network.retryAt - now) / 1000));
    parts.push(`provider unreachable (${progress.network.message}); retrying in ${String(seconds)}s`);
  }
  return parts.join(' | ');
}

/**
 * Batch jobs change slowly: a line is printed when something changed (on a terminal it is
 * rewritten in place), never more often than every `minIntervalMs`. To stderr: stdout is for results.
 */
export function createBatchProgressRenderer(stream: NodeJS.WriteStream, minIntervalMs = 1000): BatchProgressRenderer {
  let last = '';
  let lastAt = 0;
  let pending: BatchProgress | undefined;
  let timer: NodeJS.Timeout | undefined;
  const print = (progress: BatchProgress): void => {
    const text = describeBatchProgress(progress, Date.now());
    if (text === last) return;
    last = text;
    lastAt = Date.now();
    if (stream.isTTY) stream.write(`\r\u001b[2K${text.slice(0, (stream.columns || 120) - 1)}`);
    else stream.write(`${text}\n`);
  };
  return {
    update(progress) {
      pending = progress;
      const wait = lastAt + minIntervalMs - Date.now();
      if (wait <= 0) {
        print(progress);
        return;
      }
      timer ??= setTimeout(() => {
        timer = undefined;
        if (pending !== undefined) print(pending);
      }, wait);
    },
    note(line) {
      if (!stream.isTTY || last === '') {
        stream.write(`${line}\n`);
        return;
      }
      stream.write(`\r\u001b[2K${line}\n${last.slice(0, (stream.columns || 120) - 1)}`);
    },
    stop() {
      if (timer !== undefined) clearTimeout(timer);
      if (pending !== undefined) print(pending);
      if (stream.isTTY && last !== '') stream.write('\n');
    },
  };
}
