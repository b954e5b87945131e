import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runBatchToEnd } from '../helpers/batch-cli.ts';
import { startSimulator } from '../helpers/start-simulator.ts';
import { chatBatchLines, createTempWorkspace, type TempWorkspace, toJsonl } from '../helpers/temp-workspace.ts';

/**
 * Batch mode against the provider's enqueued-token limit: a job larger than the limit is paced, not failed.
 */

describe('batch mode: enqueued-token limit', () => {
  let temp: TempWorkspace;

  before(async () => {
    temp = await createTempWorkspace('batchpilot-batch-');
  });

  after(async () => {
    await temp.remove();
  });

  it('paces a job larger than the enqueued-token limit instead of failing it', async () => {
    // Each short line is estimated at a few dozen tokens; the limit holds about one chunk of 200.
    const sim = await startSimulator({ batchLifetimeMs: 300, batchEnqueuedTokenLimit: 12_000, seed: 9 });
    try {
      const input = await temp.write('tokens.jsonl', toJsonl(chatBatchLines(800, { prefix: 'tokens' })));
      const { files } = await runBatchToEnd(temp, input, 'b-tokens', sim.baseUrl, [
        '--set',
        'chunk.max_requests=200',
        '--set',
        'batch.max_concurrent=4',
        '--max-attempts',
        '2',
      ]);
      assert.equal(files.succeeded.length, 800);
      assert.ok(sim.stats().batch.tokenLimitRejections > 0, 'the limit was hit and the job went on');

      // With batch.max_enqueued_tokens under the provider's limit, the job paces itself and is never refused.
      sim.resetStats();
      const { files: pacedFiles } = await runBatchToEnd(temp, input, 'b-tokens-paced', sim.baseUrl, [
        '--set',
        'chunk.max_requests=200',
        '--set',
        'batch.max_concurrent=4',
        '--set',
        'batch.max_enqueued_tokens=10000',
        '--max-attempts',
        '1',
      ]);
      assert.equal(sim.stats().batch.tokenLimitRejections, 0);
      assert.equal(pacedFiles.succeeded.length, 800);
    } finally {
      await sim.close();
    }
  });
});
