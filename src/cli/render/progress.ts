import cliProgress from 'cli-progress';
import { toRealtimeProgress } from '../../compose/run-progress.ts';
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
  const figures = toRealtimeProgress(progress);
  return {
    done: figures.done,
    total: figures.total,
    totalText: figures.totalIsEstimate ? `~${String(figures.total)}` : String(figures.total),
    rate: figures.requestsPerSecond,
    eta: figures.etaSeconds === null ? '?' : `${String(figures.etaSeconds)}s`,
  };
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
