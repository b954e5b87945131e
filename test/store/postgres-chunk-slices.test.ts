import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { withPostgresStores } from '../helpers/postgres-stores.ts';
import { startPostgres, type PostgresHandle } from '../helpers/start-postgres.ts';
import {
  attemptOf,
  CHUNK,
  collect,
  createTestJob,
  ingestItems,
  JOB,
  rejectionCode,
} from '../store-conformance/store-fixtures.ts';

/**
 * Batch-mode chunks handed out as slices (store/chunk-work-store.ts, docs/decisions/0034) on a real server: a slice of
 * kind chunk is claimed once and names its chunk; its holder's writes of the chunk are fenced by the lease, so a holder
 * that lost it (stale, or a new run's hand-out) writes nothing.
 */
describe('PostgreSQL store: chunks handed out as slices', () => {
  let server: PostgresHandle;
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server.stop();
  });

  const withStores = withPostgresStores(() => server, 'chunk_slices');

  it('hands each chunk out once; the claim names the chunk and spans its items', async () => {
    await withStores(2, async (a, b) => {
      await createTestJob(a);
      await ingestItems(a, 10);
      const first = await a.createChunk(JOB, CHUNK, [0, 1, 2, 3]);
      const second = await a.createChunk(JOB, CHUNK, [6, 8]);
      assert.equal(await a.handOutChunks(JOB, [first.chunkNo, second.chunkNo]), 2);
      const claims = await Promise.all([a, b, a].map((store, n) => store.claimSlice([JOB], `w${String(n)}`)));
      const held = claims.filter((claim) => claim !== undefined);
      assert.equal(held.length, 2, 'two chunks, a third claim finds none');
      assert.deepEqual(
        held.map((slice) => [slice.chunkNo, slice.firstSeq, slice.lastSeq]).sort((x, y) => x[0]! - y[0]!),
        [
          [first.chunkNo, 0, 3],
          [second.chunkNo, 6, 8],
        ],
      );
      assert.deepEqual(await a.sliceCounts(JOB), { open: 2, held: 2, done: 0 });
    });
  });

  it("fences a holder's writes: after a takeover the lost holder changes nothing, the new one carries on", async () => {
    await withStores(2, async (lost, taker) => {
      await createTestJob(lost);
      await ingestItems(lost, 4);
      const chunk = await lost.createChunk(JOB, CHUNK, [0, 1, 2, 3]);
      await lost.handOutChunks(JOB, [chunk.chunkNo]);
      const slice = await lost.claimSlice([JOB], 'lost');
      assert.ok(slice !== undefined);
      const uploaded = await lost.updateHeldChunk(slice, 'lost', { state: 'uploaded', fileId: 'file-1' });
      assert.equal(uploaded.state, 'uploaded');
      assert.equal(
        await rejectionCode(lost.updateHeldChunk(slice, 'someone-else', { submitStartedAt: 7 })),
        'SLICE_LOST',
        'only the holder writes',
      );

      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(await taker.reclaimStaleSlices(10), 1);
      const again = await taker.claimSlice([JOB], 'taker');
      assert.equal(again?.chunkNo, chunk.chunkNo);
      assert.equal(again?.generation, 1);

      // The lost holder's remote step, merge and close all fail, and none of them is written.
      assert.equal(
        await rejectionCode(
          lost.updateHeldChunk(slice, 'lost', { state: 'submitted', batchId: 'batch-lost', submittedAt: 8 }),
        ),
        'SLICE_LOST',
      );
      const line = {
        state: 'succeeded' as const,
        statusCode: 200,
        requestId: null,
        body: '{}',
        completedAt: 9,
        attempt: attemptOf(0),
      };
      assert.equal(await rejectionCode(lost.mergeHeldChunkResults(slice, 'lost', [line])), 'SLICE_LOST');
      assert.equal(await rejectionCode(lost.closeHeldChunk(slice, 'lost', { kind: 'cancel', now: 9 })), 'SLICE_LOST');
      const [stored] = await taker.listChunks(JOB);
      assert.equal(stored?.state, 'uploaded');
      assert.equal(stored?.batchId, null);
      assert.equal((await collect(taker.chunkItems(JOB, chunk.chunkNo))).length, 4, 'nothing merged');

      // The new holder carries on from the committed state.
      const submitted = await taker.updateHeldChunk(again, 'taker', {
        state: 'submitted',
        batchId: 'batch-1',
        submittedAt: 10,
      });
      assert.equal(submitted.batchId, 'batch-1');
      await taker.updateHeldChunk(again, 'taker', { state: 'ended', end: 'completed', endedAt: 11 });
      assert.equal(await taker.mergeHeldChunkResults(again, 'taker', [line]), 1);
      assert.deepEqual(await collect(taker.chunkAnswers(JOB, chunk.chunkNo)), ['{}'], 'what the chunk got, to price');
      const closed = await taker.closeHeldChunk(again, 'taker', { kind: 'cancel', now: 12 });
      assert.equal(closed.cancelled, 3);
      assert.equal(await taker.finishSlice(again, 'taker'), true);
      assert.deepEqual(await taker.sliceCounts(JOB), { open: 0, held: 0, done: 1 });
    });
  });

  it('a restart withdraws every earlier hand-out (its holders lose their chunks) and clears a recorded stop', async () => {
    await withStores(1, async (store) => {
      await createTestJob(store);
      await ingestItems(store, 4);
      const chunk = await store.createChunk(JOB, CHUNK, [0, 1]);
      await store.handOutChunks(JOB, [chunk.chunkNo]);
      const old = await store.claimSlice([JOB], 'old-run');
      assert.ok(old !== undefined);
      await store.stopJobWork(JOB, { reason: 'auth', message: 'refused', status: 401 });

      assert.equal(await store.handOutChunks(JOB, [chunk.chunkNo], { restart: true }), 1);
      assert.equal(await store.workStop(JOB), undefined);
      assert.equal(await rejectionCode(store.updateHeldChunk(old, 'old-run', { fileId: 'f' })), 'SLICE_LOST');
      const fresh = await store.claimSlice([JOB], 'new-run');
      assert.equal(fresh?.chunkNo, chunk.chunkNo);
      assert.notEqual(fresh?.sliceNo, old.sliceNo);
      assert.equal(await store.claimSlice([JOB], 'another'), undefined, 'the withdrawn hand-out claims nothing');
    });
  });
});
