import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createStore } from '../../src/store/create-store.ts';
import type { ChunkLineOutcome, Store } from '../../src/store/store.ts';
import { attemptOf, collect, createTestJob, CHUNK, ingestItems, JOB } from '../store-conformance/store-fixtures.ts';

async function storeWithItems(count: number): Promise<Store> {
  const store = createStore({ workspace: await mkdtemp(join(tmpdir(), 'bp-chunks-')) });
  await createTestJob(store);
  await ingestItems(store, count);
  return store;
}

describe('SqliteStore chunks', () => {
  it('moves items into a numbered chunk in one step and lists what is pending', async () => {
    const store = await storeWithItems(5);
    const first = await store.createChunk(JOB, CHUNK, [0, 1, 2]);
    assert.equal(first.chunkNo, 1);
    assert.equal(first.state, 'planned');
    assert.equal(first.itemCount, 3);
    assert.deepEqual(
      (await collect(store.pendingItems(JOB))).map((item) => item.seq),
      [3, 4],
    );
    assert.deepEqual(
      (await collect(store.chunkItems(JOB, 1))).map((item) => item.customId),
      ['c0', 'c1', 'c2'],
    );
    const second = await store.createChunk(JOB, CHUNK, [3]);
    assert.equal(second.chunkNo, 2);
    // An item already in a chunk cannot be put in another: the whole call is refused.
    await assert.rejects(store.createChunk(JOB, CHUNK, [4, 0]));
    assert.deepEqual(
      (await collect(store.pendingItems(JOB))).map((item) => item.seq),
      [4],
    );
  });

  it('records each remote step and refuses an illegal state change', async () => {
    const store = await storeWithItems(2);
    await store.createChunk(JOB, CHUNK, [0, 1]);
    await store.updateChunk(JOB, 1, { state: 'uploaded', fileId: 'file-1' });
    await store.updateChunk(JOB, 1, { submitStartedAt: 7 });
    const submitted = await store.updateChunk(JOB, 1, {
      state: 'submitted',
      batchId: 'batch-1',
      rawStatus: 'validating',
      counts: { total: 2, completed: 0, failed: 0 },
      submittedAt: 8,
    });
    assert.equal(submitted.fileId, 'file-1');
    assert.equal(submitted.submitStartedAt, 7);
    await assert.rejects(store.updateChunk(JOB, 1, { state: 'uploaded' }), /illegal chunk transition/);
    const [listed] = await store.listChunks(JOB);
    assert.equal(listed?.batchId, 'batch-1');
    assert.deepEqual(listed?.counts, { total: 2, completed: 0, failed: 0 });
  });

  it('merges result lines once: a second merge of the same lines changes nothing and adds no attempt', async () => {
    const store = await storeWithItems(3);
    await store.createChunk(JOB, CHUNK, [0, 1, 2]);
    const lines: ChunkLineOutcome[] = [
      { state: 'succeeded', statusCode: 200, requestId: 'r0', body: '{"a":0}', completedAt: 20, attempt: attemptOf(0) },
      {
        state: 'failed',
        error: { code: 'http_400', message: 'bad', status: 400 },
        completedAt: 20,
        attempt: { ...attemptOf(1), statusCode: 400, outcome: 'http_400' },
      },
    ];
    assert.equal(await store.mergeChunkResults(JOB, 1, lines), 2);
    assert.equal(await store.mergeChunkResults(JOB, 1, lines), 0);
    assert.equal((await store.attemptStats(JOB)).attempts, 2);
    assert.deepEqual(
      (await collect(store.chunkItems(JOB, 1))).map((item) => item.seq),
      [2],
    );
  });

  it('closes a chunk: lines without a result are resubmitted until out of attempts, then failed', async () => {
    const store = await storeWithItems(2);
    await store.createChunk(JOB, CHUNK, [0, 1]);
    await store.updateChunk(JOB, 1, { state: 'submitted', batchId: 'b1', submittedAt: 8 });
    await store.updateChunk(JOB, 1, { state: 'ended', end: 'completed', endedAt: 9 });
    const error = { code: 'batch_no_result', message: 'none' };
    const closed = await store.closeChunk(JOB, 1, {
      kind: 'resubmit',
      countAttempt: true,
      maxAttempts: 2,
      error,
      now: 10,
    });
    assert.deepEqual(closed, { resubmitted: 2, failed: 0, cancelled: 0 });
    assert.equal((await store.listChunks(JOB))[0]?.state, 'merged');
    const pending = await collect(store.pendingItems(JOB));
    assert.deepEqual(
      pending.map((item) => item.attempts),
      [1, 1],
    );

    await store.createChunk(JOB, CHUNK, [0, 1]);
    const again = await store.closeChunk(JOB, 2, {
      kind: 'resubmit',
      countAttempt: true,
      maxAttempts: 2,
      error,
      now: 11,
    });
    assert.deepEqual(again, { resubmitted: 0, failed: 2, cancelled: 0 });
    const counts = await store.counts(JOB);
    assert.equal(counts.failed, 2);
    assert.equal((await store.attemptStats(JOB)).attempts, 4);
  });

  it('puts a token-limited chunk back without counting an attempt, and cancels on request', async () => {
    const store = await storeWithItems(2);
    await store.createChunk(JOB, CHUNK, [0, 1]);
    const error = { code: 'batch_token_limit_exceeded', message: 'limit' };
    await store.closeChunk(JOB, 1, { kind: 'resubmit', countAttempt: false, maxAttempts: 1, error, now: 10 });
    assert.deepEqual(
      (await collect(store.pendingItems(JOB))).map((item) => item.attempts),
      [0, 0],
    );
    await store.createChunk(JOB, CHUNK, [0, 1]);
    await store.requestCancel(JOB, 12);
    assert.equal((await store.getJob(JOB))?.cancelRequestedAt, 12);
    const cancelled = await store.closeChunk(JOB, 2, { kind: 'cancel', now: 13 });
    assert.equal(cancelled.cancelled, 2);
    assert.equal((await store.counts(JOB)).cancelled, 2);
    await store.clearCancelRequest(JOB);
    assert.equal((await store.getJob(JOB))?.cancelRequestedAt, null);
  });
});
