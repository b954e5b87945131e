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
  newItems,
} from '../store-conformance/store-fixtures.ts';

/**
 * What a shared database adds to the contract: several stores (workers) on one database at once. Where SQLite's
 * one write lock serialised two processes, the job's row lock must (decision 0030 §4).
 */
describe('PostgreSQL store shared by several workers', () => {
  let server: PostgresHandle;
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server.stop();
  });

  const withStores = withPostgresStores(() => server, 'shared');

  it('gives a job lease to one of two workers taking it at the same moment', async () => {
    await withStores(2, async (first, second) => {
      await createTestJob(first);
      const host = 'another-host';
      const results = await Promise.allSettled([
        first.acquireLease(JOB, { pid: 1, host, token: 'a', heartbeatAt: 1000 }, 60_000),
        second.acquireLease(JOB, { pid: 2, host, token: 'b', heartbeatAt: 1000 }, 60_000),
      ]);
      const refused = results.filter((result) => result.status === 'rejected');
      assert.equal(refused.length, 1);
      assert.equal(((refused[0] as PromiseRejectedResult).reason as { code?: string }).code, 'JOB_LOCKED');
      const winner = results[0].status === 'fulfilled' ? 'a' : 'b';
      assert.equal((await second.getJob(JOB))?.lease?.token, winner);
    });
  });

  it('numbers chunks cut at once by two workers apart, each item in one of them', async () => {
    await withStores(2, async (first, second) => {
      await createTestJob(first);
      await ingestItems(first, 10);
      const chunks = await Promise.all([
        first.createChunk(JOB, CHUNK, [0, 1, 2, 3, 4]),
        second.createChunk(JOB, CHUNK, [5, 6, 7, 8, 9]),
      ]);
      assert.deepEqual(chunks.map((chunk) => chunk.chunkNo).sort(), [1, 2]);
      const overlapping = await Promise.allSettled([
        first.createChunk(JOB, CHUNK, [0]),
        second.createChunk(JOB, CHUNK, [9]),
      ]);
      assert.ok(
        overlapping.every((result) => result.status === 'rejected'),
        'items already in a chunk are refused',
      );
      assert.equal((await first.listChunks(JOB)).length, 2);
    });
  });

  it('keeps the reader cursor and the accepted count right when two workers ingest at once', async () => {
    await withStores(2, async (first, second) => {
      await createTestJob(first);
      const batch = (from: number) => ({
        items: newItems(from, 50),
        rejects: [],
        limit: 0,
        position: { byte: 0, line: 0, seq: 0, done: false },
      });
      await Promise.all([first.ingest(JOB, batch(0)), second.ingest(JOB, batch(50))]);
      assert.equal((await first.getJob(JOB))?.cursor.accepted, 100);
      assert.equal((await first.counts(JOB)).pending, 100);
    });
  });

  it('ends an item updated twice in one commit as its last update says, with both attempts', async () => {
    await withStores(2, async (first) => {
      await createTestJob(first);
      await ingestItems(first, 3);
      await first.commitProgress([
        {
          jobId: JOB,
          attempts: [attemptOf(0, { outcome: 'http_500', statusCode: 500 }), attemptOf(0, { attempt: 2 })],
          updates: [
            { seq: 0, state: 'retry_wait', attempts: 1, error: { code: 'http_500', message: 'x', status: 500 } },
            { seq: 1, state: 'cancelled', attempts: 0, missingReason: 'interrupted' },
            {
              seq: 0,
              state: 'succeeded',
              attempts: 2,
              statusCode: 200,
              requestId: null,
              body: new TextEncoder().encode('{"model":"m"}'),
              completedAt: 9,
            },
          ],
        },
      ]);
      const items = await collect(first.iterateItems(JOB, 'input'));
      assert.equal(items[0]?.state, 'succeeded');
      assert.equal(Buffer.from(items[0]?.responseBody as Uint8Array).toString('utf8'), '{"model":"m"}');
      assert.equal(items[1]?.state, 'cancelled');
      assert.equal(items[2]?.state, 'pending');
      assert.equal((await first.attemptStats(JOB)).attempts, 2);
      assert.equal((await first.answersFor(JOB, ['c0'])).get('c0')?.model, 'm');
    });
  });
  it('rejects a line given again under a seq the job already has, as SQLite does, committing the rest', async () => {
    await withStores(2, async (first) => {
      await createTestJob(first);
      await ingestItems(first, 2);
      const result = await first.ingest(JOB, {
        items: [...newItems(1, 1, () => 'other'), ...newItems(2, 1)],
        rejects: [],
        limit: 0,
        position: { byte: 30, line: 3, seq: 3, done: true },
      });
      assert.deepEqual(
        result.pending.map((item) => item.seq),
        [2],
      );
      assert.equal(result.cursor.accepted, 3);
      assert.equal(result.cursor.rejected, 1);
      assert.deepEqual(
        (await collect(first.iterateRejects(JOB))).map((reject) => reject.custom_id),
        ['other'],
      );
    });
  });
});
