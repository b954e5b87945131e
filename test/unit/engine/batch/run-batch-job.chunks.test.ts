import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lines, useBatchJobFixture } from './batch-job-fixture.ts';
import { FakeBatchProvider } from './fake-batch-provider.ts';

/**
 * Batch mode's chunk planning and merging, against an in-memory provider and a temp store: chunks are cut in input
 * order at the first limit reached (requests, bytes, one model per batch where the provider wants it), a line too
 * big for any chunk still goes alone, each chunk is uploaded and submitted once, and every item is merged once.
 */

describe('runBatchJob: chunks', () => {
  const fixture = useBatchJobFixture();

  it('cuts 250 items into chunks of 100, 100 and 50 in input order, each uploaded and submitted once', async () => {
    const provider = new FakeBatchProvider();
    const result = await fixture.run('by-count', lines(250, 'count'), provider, { chunkMaxRequests: 100 });
    assert.equal(result.outcome, 'completed');
    assert.equal(result.report.counts.succeeded, 250);
    const batches = provider.batchLines();
    assert.deepEqual(
      batches.map((batch) => batch.length),
      [100, 100, 50],
    );
    assert.deepEqual(
      batches.flat().map((line) => line.customId),
      lines(250, 'count').map((_, index) => `count-${String(index)}`),
      'every line once, in input order',
    );
    assert.equal(provider.calls.upload, 3);
    assert.equal(provider.calls.createBatch, 3);
    assert.ok(
      [...provider.sent.values()].every((times) => times === 1),
      'no line sent twice',
    );
    const items = await fixture.items('by-count');
    assert.ok(items.every((item) => item.state === 'succeeded' && item.attempts === 1));
  });

  it('keeps every chunk under chunk.max_bytes, and sends a line too big for any chunk alone', async () => {
    const provider = new FakeBatchProvider();
    const input = lines(40, 'bytes');
    const { line: oneLine } = provider.encodeLine('bytes-10', {
      method: 'POST',
      url: '/v1/chat/completions',
      body: JSON.stringify((JSON.parse(input[0]!) as { body: unknown }).body),
    });
    const maxBytes = (oneLine.length + 1) * 5;
    // A line with a long question: larger than a whole chunk may be.
    const big = JSON.parse(input[20]!) as { body: { messages: { content: string }[] } };
    big.body.messages[1]!.content = 'x'.repeat(maxBytes);
    input[20] = JSON.stringify(big);
    const result = await fixture.run('by-bytes', input, provider, { chunkMaxBytes: maxBytes });
    assert.equal(result.outcome, 'completed');
    assert.equal(result.report.counts.succeeded, 40);
    for (const batch of provider.batchLines()) {
      const bytes = batch.reduce((sum, line) => sum + line.bytes, 0);
      if (batch.some((line) => line.customId === 'bytes-20')) assert.equal(batch.length, 1, 'the big line goes alone');
      else assert.ok(bytes <= maxBytes, `a chunk of ${String(bytes)} bytes, limit ${String(maxBytes)}`);
    }
    assert.ok(provider.batchLines().length >= 8, `${String(provider.batchLines().length)} chunks`);
  });

  it('puts one model in each batch when the provider wants it, each model in input order', async () => {
    const provider = new FakeBatchProvider({ limits: { oneModelPerBatch: true } });
    const input = [...lines(30, 'a', 'model-a'), ...lines(30, 'b', 'model-b')];
    // Interleaved: a-0, b-0, a-1, b-1, ...
    const mixed = input.slice(0, 30).flatMap((line, index) => [line, input[30 + index]!]);
    const result = await fixture.run('by-model', mixed, provider, { chunkMaxRequests: 20 });
    assert.equal(result.outcome, 'completed');
    assert.equal(result.report.counts.succeeded, 60);
    for (const batch of provider.batchLines()) {
      assert.equal(new Set(batch.map((line) => line.model)).size, 1, 'one model per batch');
      const numbers = batch.map((line) => Number(line.customId.split('-')[1]));
      assert.deepEqual(
        numbers,
        [...numbers].sort((x, y) => x - y),
        'input order within a batch',
      );
    }
  });

  it('a second run of a finished job sends nothing again', async () => {
    const provider = new FakeBatchProvider();
    const first = await fixture.run('again', lines(30, 'again'), provider, { chunkMaxRequests: 10 });
    assert.equal(first.outcome, 'completed');
    const second = await fixture.run('again', lines(30, 'again'), provider, { chunkMaxRequests: 10 });
    assert.equal(second.outcome, 'completed');
    assert.equal(second.report.counts.succeeded, 30);
    assert.equal(provider.calls.createBatch, 3, 'no batch created by the second run');
  });
});
