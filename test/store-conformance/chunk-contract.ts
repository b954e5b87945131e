import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChunkLineOutcome } from '../../src/store/store.ts';
import {
  attemptOf,
  collect,
  createTestJob,
  ingestItems,
  JOB,
  type OpenStore,
  withStore,
  CHUNK,
} from './store-fixtures.ts';

const NO_RESULT = { code: 'batch_no_result', message: 'none' };

/** `ChunkStore`: chunks cut from pending items, their remote steps, merges and closes. */
export function describeChunkContract(openStore: OpenStore): void {
  describe('chunks', () => {
    it('numbers chunks and moves their items out of pending in one step, refusing an item not pending', async () => {
      await withStore(openStore, async (store) => {
        await createTestJob(store);
        await ingestItems(store, 5);
        const first = await store.createChunk(JOB, CHUNK, [0, 2, 1]);
        assert.deepEqual(
          [first.chunkNo, first.state, first.itemCount, first.bytes, first.tokens, first.url, first.model],
          [1, 'planned', 3, 100, 10, '/v1/chat/completions', 'm'],
        );
        assert.deepEqual(
          [first.fileId, first.batchId, first.end, first.errors, first.createdAt, first.mergedAt],
          [null, null, null, [], 5, null],
        );
        assert.deepEqual(
          (await collect(store.pendingItems(JOB))).map((item) => item.seq),
          [3, 4],
        );
        assert.deepEqual(
          (await collect(store.chunkItems(JOB, 1))).map((item) => item.customId),
          ['c0', 'c1', 'c2'],
        );
        await assert.rejects(store.createChunk(JOB, CHUNK, [4, 0]));
        assert.deepEqual(
          (await collect(store.pendingItems(JOB))).map((item) => item.seq),
          [3, 4],
        );
        assert.equal((await store.createChunk(JOB, CHUNK, [4])).chunkNo, 2);
        assert.deepEqual(
          (await store.listChunks(JOB)).map((chunk) => chunk.chunkNo),
          [1, 2],
        );
        // In-flight items count as pending for status.
        assert.equal((await store.counts(JOB)).pending, 5);
      });
    });

    it('records each remote step, keeping what it does not name, and refuses an illegal state change', async () => {
      await withStore(openStore, async (store) => {
        await createTestJob(store);
        await ingestItems(store, 2);
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
        await assert.rejects(store.updateChunk(JOB, 1, { state: 'uploaded' }));
        await store.updateChunk(JOB, 1, {
          state: 'ended',
          end: 'completed',
          endedAt: 9,
          errors: [{ code: 'x', message: 'y' }],
          resultRefs: { output: 'file-2' },
        });
        const [listed] = await store.listChunks(JOB);
        assert.deepEqual(
          [listed?.state, listed?.batchId, listed?.rawStatus, listed?.end, listed?.endedAt],
          ['ended', 'batch-1', 'validating', 'completed', 9],
        );
        assert.deepEqual(listed?.counts, { total: 2, completed: 0, failed: 0 });
        assert.deepEqual(listed?.errors, [{ code: 'x', message: 'y' }]);
        assert.deepEqual(listed?.resultRefs, { output: 'file-2' });
      });
    });

    it('merges result lines once: the same lines again change nothing and add no attempt', async () => {
      await withStore(openStore, async (store) => {
        await createTestJob(store);
        await ingestItems(store, 4);
        await store.createChunk(JOB, CHUNK, [0, 1, 2, 3]);
        const lines: ChunkLineOutcome[] = [
          {
            state: 'succeeded',
            statusCode: 200,
            requestId: 'r0',
            body: '{"a":0}',
            completedAt: 20,
            attempt: attemptOf(0),
          },
          {
            state: 'failed',
            error: { code: 'http_400', message: 'bad', status: 400 },
            completedAt: 20,
            attempt: attemptOf(1, { statusCode: 400, outcome: 'http_400' }),
          },
          { state: 'pending', error: { code: 'expired', message: 'x' }, attempt: attemptOf(2, { outcome: 'expired' }) },
        ];
        assert.equal(await store.mergeChunkResults(JOB, 1, lines), 3);
        assert.equal(await store.mergeChunkResults(JOB, 1, lines), 0);
        assert.equal((await store.attemptStats(JOB)).attempts, 3);
        assert.deepEqual(
          (await collect(store.chunkItems(JOB, 1))).map((item) => item.seq),
          [3],
        );
        assert.deepEqual(
          (await collect(store.pendingItems(JOB))).map((item) => [item.seq, item.attempts]),
          [[2, 1]],
        );
        const items = await collect(store.iterateItems(JOB, 'input'));
        assert.deepEqual(
          items.map((item) => item.state),
          ['succeeded', 'failed', 'pending', 'in_flight'],
        );
        assert.equal(items[0]?.responseBody, '{"a":0}');
      });
    });

    it('closes a chunk: lines without a result go back with an attempt each until out of attempts, then fail', async () => {
      await withStore(openStore, async (store) => {
        await createTestJob(store);
        await ingestItems(store, 2);
        await store.createChunk(JOB, CHUNK, [0, 1]);
        await store.updateChunk(JOB, 1, { state: 'submitted', batchId: 'b1', submittedAt: 8 });
        await store.updateChunk(JOB, 1, { state: 'ended', end: 'completed', endedAt: 9 });
        const resubmit = { kind: 'resubmit', countAttempt: true, maxAttempts: 2, error: NO_RESULT } as const;
        assert.deepEqual(await store.closeChunk(JOB, 1, { ...resubmit, now: 10 }), {
          resubmitted: 2,
          failed: 0,
          cancelled: 0,
        });
        const [closed] = await store.listChunks(JOB);
        assert.equal(closed?.state, 'merged');
        assert.equal(closed?.mergedAt, 10);
        assert.deepEqual(
          (await collect(store.pendingItems(JOB))).map((item) => item.attempts),
          [1, 1],
        );
        await store.createChunk(JOB, CHUNK, [0, 1]);
        assert.deepEqual(await store.closeChunk(JOB, 2, { ...resubmit, now: 11 }), {
          resubmitted: 0,
          failed: 2,
          cancelled: 0,
        });
        const [item] = await collect(store.iterateItems(JOB, 'input'));
        assert.equal(item?.state, 'failed');
        assert.equal(item?.error?.reason, 'maxRetriesExceeded');
        assert.equal((await store.attemptStats(JOB)).attempts, 4);
      });
    });

    it('puts lines back without an attempt when asked, and cancels the lines of a cancelled chunk', async () => {
      await withStore(openStore, async (store) => {
        await createTestJob(store);
        await ingestItems(store, 2);
        await store.createChunk(JOB, CHUNK, [0, 1]);
        const error = { code: 'batch_token_limit_exceeded', message: 'limit' };
        await store.closeChunk(JOB, 1, { kind: 'resubmit', countAttempt: false, maxAttempts: 1, error, now: 10 });
        assert.deepEqual(
          (await collect(store.pendingItems(JOB))).map((item) => item.attempts),
          [0, 0],
        );
        await store.createChunk(JOB, CHUNK, [0, 1]);
        assert.deepEqual(await store.closeChunk(JOB, 2, { kind: 'cancel', now: 13 }), {
          resubmitted: 0,
          failed: 0,
          cancelled: 2,
        });
        const items = await collect(store.iterateItems(JOB, 'input'));
        assert.deepEqual(
          items.map((item) => [item.state, item.missingReason]),
          [
            ['cancelled', 'cancelled'],
            ['cancelled', 'cancelled'],
          ],
        );
      });
    });
  });
}
