import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runBatchJob, type BatchRunSettings } from '../../../src/engine/batch/run-batch-job.ts';
import { ConnectionError } from '../../../src/errors/index.ts';
import { fingerprintInput } from '../../../src/input/fingerprint-input.ts';
import { parseResultLine } from '../../../src/providers/openai/openai-batch-provider.ts';
import { createStore } from '../../../src/store/create-store.ts';
import type { Store } from '../../../src/store/store.ts';
import { chatBatchLines, toJsonl } from '../../helpers/temp-workspace.ts';
import { FakeBatchProvider } from './fake-batch-provider.ts';

/**
 * Batch mode waits out a provider it cannot reach for `outage.max_wait_s` at most, then stops the job as
 * `unreachable` (interrupted, resumable) with no line failed, instead of retrying for ever.
 */

const SETTINGS: BatchRunSettings = {
  retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
  limit: 0,
  order: 'input',
  parser: { format: 'openai_batch', messagesKey: 'messages', defaults: { request: {}, extraBody: {} } },
  maxLineBytes: 1_048_576,
  chunkMaxRequests: undefined,
  chunkMaxBytes: undefined,
  maxConcurrent: 2,
  maxEnqueuedTokens: 0,
  pollIntervalMs: 1,
  outageMaxWaitMs: 200,
};

describe('batch mode against a provider that stops answering', () => {
  let dir: string;
  let store: Store;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bp-batch-outage-'));
    store = createStore({ workspace: join(dir, 'ws') });
  });

  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('stops as unreachable after the outage wait, with no line failed, and resumes once it is back', async () => {
    const id = 'outage';
    const inputPath = join(dir, `${id}.jsonl`);
    await writeFile(inputPath, toJsonl(chatBatchLines(6, { prefix: id })));
    await store.createJob({
      id,
      inputPath,
      inputFingerprint: await fingerprintInput(inputPath),
      config: {},
      outDir: join(dir, 'ws', 'jobs', id),
      now: Date.now(),
    });
    const provider = new FakeBatchProvider((text) => parseResultLine(text, 'out'));
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
    // Before the fix the loop retried for ever: stop it, so the test fails rather than hangs.
    const stop = new AbortController();
    const guard = setTimeout(() => stop.abort(), 20_000);
    const workDir = join(dir, 'ws', 'jobs', id);
    try {
      const stopped = await runBatchJob({
        jobId: id,
        store,
        provider,
        settings: SETTINGS,
        workDir,
        signal: stop.signal,
      });
      assert.equal(stopped.outcome, 'unreachable', `after ${String(failedPolls)} failed polls`);
      assert.equal(stopped.job.state, 'interrupted');
      assert.equal(stopped.report.counts.failed, 0);
      assert.equal(stopped.fatal?.errno, 'ECONNREFUSED');

      down = false;
      const resumed = await runBatchJob({ jobId: id, store, provider, settings: SETTINGS, workDir });
      assert.equal(resumed.outcome, 'completed');
      assert.equal(resumed.report.counts.succeeded, 6);
      assert.deepEqual(provider.created, ['batch-1'], 'the batch was polled again, not sent twice');
    } finally {
      clearTimeout(guard);
    }
  });
});
