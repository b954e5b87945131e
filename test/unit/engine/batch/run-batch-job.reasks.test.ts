import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { ChunkTag, BatchInput } from '../../../../src/providers/provider.ts';
import { ProviderError } from '../../../../src/errors/index.ts';
import { chunkFilePath } from '../../../../src/engine/batch/write-chunk-file.ts';
import { FakeAnswerReview, reaskNumberOf } from '../fake-answer-review.ts';
import { FakeBatchProvider } from './fake-batch-provider.ts';
import { lines, useBatchJobFixture } from './batch-job-fixture.ts';

/**
 * Batch-mode re-asks (issue 12 §3, docs/decisions/0019): answers merged from a chunk are checked; those not valid go
 * back to pending and into chunks of their own, one re-ask wave per re-ask number, on a later turn; an interrupted
 * run's wave is rebuilt from the store (the chunk file written again from the stored answers and checks).
 */

/** The fake provider, keeping each uploaded file's lines as text, in upload order. */
class RecordingBatchProvider extends FakeBatchProvider {
  readonly uploads: string[][] = [];
  beforeUpload: ((lines: string[]) => void) | undefined;

  override async prepareInput(tag: ChunkTag, path: string): Promise<BatchInput> {
    const text = (await readFile(path, 'utf8')).split('\n').filter((line) => line !== '');
    this.beforeUpload?.(text);
    this.uploads.push(text);
    return super.prepareInput(tag, path);
  }
}

function reaskOfLine(line: string): number {
  return reaskNumberOf(JSON.stringify((JSON.parse(line) as { body: unknown }).body));
}

function customIdOf(line: string): string {
  return (JSON.parse(line) as { custom_id: string }).custom_id;
}

describe('runBatchJob with an answer review', () => {
  const fixture = useBatchJobFixture();

  it('cuts re-asked items into waves of their own, at most reask.max, and keeps every check', async () => {
    const provider = new RecordingBatchProvider();
    const review = new FakeAnswerReview({ max: 2, fixedAfter: (seq) => (seq % 4 === 3 ? 9 : seq % 4) });
    const result = await fixture.run('waves', lines(12, 'w'), provider, {}, { review });
    assert.equal(result.outcome, 'completed');
    // The original chunk, then wave 1 (seq % 4 in 1, 2, 3), then wave 2 (seq % 4 in 2, 3): never mixed.
    assert.deepEqual(
      provider.uploads.map((file) => [...new Set(file.map(reaskOfLine))]),
      [[0], [1], [2]],
    );
    assert.deepEqual(
      provider.uploads.map((file) => file.length),
      [12, 9, 6],
    );
    for (const item of await fixture.items('waves')) {
      const label = `item ${item.customId}`;
      const wanted = item.seq % 4 === 3 ? 2 : item.seq % 4;
      assert.equal(item.state, 'succeeded', label);
      assert.equal(item.reasks, wanted, label);
      assert.equal(item.attempts, wanted + 1, label);
      const lastStatus = item.seq % 4 !== 3 ? 'valid' : item.seq % 2 === 0 ? 'invalid' : 'truncated';
      assert.equal(item.check?.status, lastStatus, label);
    }
    assert.equal(result.report.counts.succeeded, 12);
    const { answers, cost } = result.report;
    assert.deepEqual(answers?.by_status, { valid: 9, truncated: 3 });
    assert.deepEqual(answers.valid_after_reasks, [3, 3, 3]);
    assert.deepEqual([answers.reasks.attempts, answers.reasks.tokens], [15, { input: 150, output: 150 }]);
    // Every answer is billed the same tokens: the re-asks are 15 of the 27 answers, at the same (batch) price.
    const wanted = ((cost?.usd ?? 0) * 15) / 27;
    assert.ok(
      Math.abs((answers.reasks.cost_usd ?? -1) - wanted) < 2e-6,
      `${String(answers.reasks.cost_usd)} ~ ${String(wanted)}`,
    );
  });

  it('rebuilds a wave left by an interrupted run from the store and sends each re-ask once', async () => {
    const provider = new RecordingBatchProvider();
    const review = new FakeAnswerReview({ max: 1, fixedAfter: (seq) => (seq % 2 === 0 ? 1 : 0) });
    const stop = new AbortController();
    let heldWave: string[] | undefined;
    // The first upload of a wave stops the run: the wave's chunk is planned and its file written, nothing sent.
    provider.beforeUpload = (text) => {
      if (heldWave !== undefined || !text.some((line) => reaskOfLine(line) > 0)) return;
      heldWave = text;
      stop.abort();
      throw new ProviderError('stopped before upload', { kind: 'connection' });
    };
    const first = await fixture.run('wave-resume', lines(6, 'r'), provider, {}, { review, signal: stop.signal });
    assert.equal(first.outcome, 'interrupted');
    assert.ok(heldWave !== undefined, 'the run wrote a wave before it stopped');
    assert.deepEqual(heldWave.map(customIdOf), ['r-0', 'r-2', 'r-4']);
    // As after a crash before the file was written: the wave's lines come from the store alone.
    await rm(chunkFilePath(join(fixture.dir(), 'ws', 'jobs', 'wave-resume'), 2), { force: true });

    provider.beforeUpload = undefined;
    const resumed = await fixture.run('wave-resume', lines(6, 'r'), provider, {}, { review });
    assert.equal(resumed.outcome, 'completed');
    assert.deepEqual(provider.uploads.at(-1), heldWave, 'the rebuilt wave is the one the first run wrote');
    const sent = provider.uploads.flat();
    for (const customId of ['r-0', 'r-2', 'r-4']) {
      assert.equal(sent.filter((line) => customIdOf(line) === customId && reaskOfLine(line) === 1).length, 1, customId);
    }
    for (const item of await fixture.items('wave-resume')) {
      assert.deepEqual(
        [item.state, item.check?.status, item.reasks],
        ['succeeded', 'valid', item.seq % 2 === 0 ? 1 : 0],
      );
    }
  });
});
