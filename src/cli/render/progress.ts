import cliProgress from 'cli-progress';
import type { JobProgress } from '../../engine/run-job.ts';

export interface ProgressRenderer {
  update(progress: JobProgress): void;
  stop(): void;
}

function describe(progress: JobProgress): {
  done: number;
  total: number;
  totalText: string;
  rate: number;
  eta: string;
} {
  const { counters, earlier } = progress;
  const done = earlier.succeeded + earlier.failed + counters.succeeded + counters.failed;
  const estimatedTotal =
    progress.inputDone || progress.inputFraction === 0
      ? progress.accepted
      : Math.max(progress.accepted, Math.round(progress.accepted / progress.inputFraction));
  const total = Math.max(done, estimatedTotal);
  const seconds = progress.elapsedMs / 1000;
  const rate = seconds > 0 ? (counters.succeeded + counters.failed) / seconds : 0;
  const eta =
    rate > 0 && total > done ? `${String(Math.ceil((total - done) / rate))}s` : progress.inputDone ? '0s' : '?';
  return { done, total, totalText: progress.inputDone ? String(total) : `~${String(total)}`, rate, eta };
}

/**
 * A bar on a terminal (done/failed/in-flight, req/s, ETA); plain lines every few seconds
 * otherwise, so logs of CI or nohup runs stay readable. Both go to stderr: stdout is for results.
 */
export function createProgressRenderer(stream: NodeJS.WriteStream, plainIntervalMs = 5000): ProgressRenderer {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format:
          '{bar} {value}/{totalText} | ok {succeeded} failed {failed} in-flight {inFlight} retrying {retrying} | {rate} req/s | ETA {eta}',
        hideCursor: true,
        clearOnComplete: false,
        fps: 8,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(progress) {
        const view = describe(progress);
        const payload = {
          totalText: view.totalText,
          succeeded: progress.earlier.succeeded + progress.counters.succeeded,
          failed: progress.earlier.failed + progress.counters.failed,
          inFlight: progress.counters.inFlight,
          retrying: progress.counters.waitingRetry,
          rate: view.rate.toFixed(0),
          eta: view.eta,
        };
        if (!started) {
          bar.start(Math.max(1, view.total), view.done, payload);
          started = true;
        }
        bar.setTotal(Math.max(1, view.total));
        bar.update(view.done, payload);
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  let lastPrinted = 0;
  return {
    update(progress) {
      if (
        progress.elapsedMs - lastPrinted < plainIntervalMs &&
        !(progress.inputDone && progress.counters.inFlight === 0)
      )
        return;
      lastPrinted = progress.elapsedMs;
      const view = describe(progress);
      stream.write(
        `[${progress.jobId}] ${String(view.done)}/${view.totalText} done, ok ${String(progress.earlier.succeeded + progress.counters.succeeded)}, failed ${String(progress.earlier.failed + progress.counters.failed)}, in-flight ${String(progress.counters.inFlight)}, retrying ${String(progress.counters.waitingRetry)}, ${view.rate.toFixed(1)} req/s, ETA ${view.eta}\n`,
      );
    },
    stop() {},
  };
}
