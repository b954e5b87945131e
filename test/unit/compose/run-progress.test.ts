import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toRealtimeProgress } from '../../../src/compose/run-progress.ts';
import type { JobProgress } from '../../../src/engine/run-job.ts';

/** The figures `onProgress` gets are the ones the CLI's bar is drawn from (cli/render/progress.ts). */

function progress(patch: Partial<JobProgress>): JobProgress {
  return {
    jobId: 'job-1',
    earlier: { succeeded: 10, failed: 2 },
    counters: { succeeded: 20, failed: 0, retries: 1, inFlight: 4, waitingRetry: 1, queued: 3 },
    accepted: 50,
    inputFraction: 0.5,
    inputDone: false,
    elapsedMs: 10_000,
    learnedRate: null,
    ...patch,
  };
}

describe('toRealtimeProgress', () => {
  it('estimates the total from the part of the input read, counts earlier runs, and gives the rate and ETA', () => {
    const figures = toRealtimeProgress(progress({}));
    assert.equal(figures.succeeded, 30);
    assert.equal(figures.failed, 2);
    assert.equal(figures.done, 32);
    assert.equal(figures.total, 100);
    assert.equal(figures.totalIsEstimate, true);
    assert.equal(figures.inFlight, 4);
    assert.equal(figures.retrying, 1);
    assert.equal(figures.requestsPerSecond, 2);
    assert.equal(figures.etaSeconds, 34);
  });

  it('knows the total once the input is read, and has no ETA before anything finished', () => {
    const done = toRealtimeProgress(progress({ inputDone: true, inputFraction: 1 }));
    assert.equal(done.total, 50);
    assert.equal(done.totalIsEstimate, false);
    const early = toRealtimeProgress(
      progress({ counters: { succeeded: 0, failed: 0, retries: 0, inFlight: 4, waitingRetry: 0, queued: 0 } }),
    );
    assert.equal(early.etaSeconds, null);
  });
});
