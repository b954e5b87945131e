import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConnectionError } from '../../../../src/errors/index.ts';
import { parseResultLine } from '../../../../src/providers/openai/openai-batch-provider.ts';
import { lines, useBatchJobFixture } from './batch-job-fixture.ts';
import { FakeBatchProvider } from './fake-batch-provider.ts';

/**
 * Batch mode waits out a provider it cannot reach for `outage.max_wait_s` at most, then stops the job as
 * `unreachable` (interrupted, resumable) with no line failed, instead of retrying for ever.
 */

describe('batch mode against a provider that stops answering', () => {
  const fixture = useBatchJobFixture();

  it('stops as unreachable after the outage wait, with no line failed, and resumes once it is back', async () => {
    const id = 'outage';
    const provider = new FakeBatchProvider({ parseLine: (text) => parseResultLine(text, 'out') });
    const poll = provider.getBatch.bind(provider);
    let down = true;
    let failedPolls = 0;
    provider.getBatch = (batchId) => {
      if (!down) return poll(batchId);
      failedPolls += 1;
      return Promise.reject(
        new ConnectionError(`polling ${batchId}: connection failed (ECONNREFUSED)`, {
          kind: 'connection',
          errno: 'ECONNREFUSED',
        }),
      );
    };
    const settings = { maxConcurrent: 2, outageMaxWaitMs: 200 };
    // Before the fix the loop retried for ever: stop it, so the test fails rather than hangs.
    const stop = new AbortController();
    const guard = setTimeout(() => stop.abort(), 20_000);
    try {
      const stopped = await fixture.run(id, lines(6, id), provider, settings, { signal: stop.signal });
      assert.equal(stopped.outcome, 'unreachable', `after ${String(failedPolls)} failed polls`);
      assert.equal(stopped.job.state, 'interrupted');
      assert.equal(stopped.report.counts.failed, 0);
      assert.equal(stopped.fatal?.errno, 'ECONNREFUSED');

      down = false;
      const resumed = await fixture.run(id, lines(6, id), provider, settings);
      assert.equal(resumed.outcome, 'completed');
      assert.equal(resumed.report.counts.succeeded, 6);
      assert.deepEqual(provider.created, ['batch-1'], 'the batch was polled again, not sent twice');
    } finally {
      clearTimeout(guard);
    }
  });
});
