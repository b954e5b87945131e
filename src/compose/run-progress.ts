import type { BatchProgress } from '../engine/batch/run-batch-job.ts';
import type { JobProgress } from '../engine/run-job.ts';

/**
 * The figures the progress display shows, as the library's `onProgress` gets them: the CLI's bar (realtime) and
 * progress line (batch) are drawn from the same values.
 */
export interface RunProgress {
  jobId: string;
  mode: 'realtime' | 'batch';
  /** Items that succeeded, earlier runs of the job included. */
  succeeded: number;
  /** Items that failed for good, earlier runs included. */
  failed: number;
  /** `succeeded + failed`. */
  done: number;
  /** Items of the job; while the input is still being read, an estimate from the part read (`totalIsEstimate`). */
  total: number;
  totalIsEstimate: boolean;
  /** Requests sent and not yet answered (realtime; 0 in batch mode, where chunks are in flight instead). */
  inFlight: number;
  /** Items waiting for their next attempt. */
  retrying: number;
  /** Items finished per second in this run (realtime; 0 in batch mode). */
  requestsPerSecond: number;
  /** Seconds to the end at the current rate; null when it cannot be told yet. */
  etaSeconds: number | null;
  /** Since this run started, in ms. */
  elapsedMs: number;
  /** Batch mode: remote batches not yet merged, and merged. */
  chunks?: { open: number; merged: number };
}

/** A realtime run's progress as the bar shows it. */
export function toRealtimeProgress(progress: JobProgress): RunProgress {
  const { counters, earlier } = progress;
  const succeeded = earlier.succeeded + counters.succeeded;
  const failed = earlier.failed + counters.failed;
  const done = succeeded + failed;
  const estimatedTotal =
    progress.inputDone || progress.inputFraction === 0
      ? progress.accepted
      : Math.max(progress.accepted, Math.round(progress.accepted / progress.inputFraction));
  const total = Math.max(done, estimatedTotal);
  const seconds = progress.elapsedMs / 1000;
  const rate = seconds > 0 ? (counters.succeeded + counters.failed) / seconds : 0;
  const etaSeconds = rate > 0 && total > done ? Math.ceil((total - done) / rate) : progress.inputDone ? 0 : null;
  return {
    jobId: progress.jobId,
    mode: 'realtime',
    succeeded,
    failed,
    done,
    total,
    totalIsEstimate: !progress.inputDone,
    inFlight: counters.inFlight,
    retrying: counters.waitingRetry,
    requestsPerSecond: rate,
    etaSeconds,
    elapsedMs: progress.elapsedMs,
  };
}

/** A batch run's progress as its progress line shows it. */
export function toBatchProgress(progress: BatchProgress): RunProgress {
  const { counts } = progress;
  const merged = progress.chunks.filter((chunk) => chunk.state === 'merged').length;
  return {
    jobId: progress.jobId,
    mode: 'batch',
    succeeded: counts.succeeded,
    failed: counts.failed,
    done: counts.succeeded + counts.failed,
    total: counts.total,
    totalIsEstimate: false,
    inFlight: 0,
    retrying: counts.retryWait,
    requestsPerSecond: 0,
    etaSeconds: null,
    elapsedMs: progress.elapsedMs,
    chunks: { open: progress.chunks.length - merged, merged },
  };
}
