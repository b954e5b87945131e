import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ItemUpdate, JobProgressBatch } from '../../src/store/store.ts';
import {
  attemptOf,
  collect,
  createTestJob,
  ingestItems,
  JOB,
  newItems,
  type OpenStore,
  withStore,
} from './store-fixtures.ts';

/** More than two pages of any backend that pages by a few thousand rows. */
const MANY = 4_500;

/** Commits in slices of 500, as the engine's group commits do. */
async function commitInSlices(
  store: { commitProgress(b: readonly JobProgressBatch[]): Promise<void> },
  updates: ItemUpdate[],
): Promise<void> {
  for (let start = 0; start < updates.length; start += 500) {
    await store.commitProgress([{ jobId: JOB, attempts: [], updates: updates.slice(start, start + 500) }]);
  }
}

/** `ActivityReads`, and the order and completeness of every list across page boundaries. */
export function describeReadContract(openStore: OpenStore): void {
  describe('activity reads', () => {
    it('sums attempts by cause, retries, tokens and latency percentiles', async () => {
      await withStore(openStore, async (store) => {
        await createTestJob(store);
        await ingestItems(store, 3);
        await store.commitProgress([
          {
            jobId: JOB,
            attempts: [
              attemptOf(0, {
                statusCode: 429,
                outcome: 'http_429',
                latencyMs: 1,
                inputTokens: null,
                outputTokens: null,
              }),
              attemptOf(0, { attempt: 2, latencyMs: 10 }),
              attemptOf(1, { latencyMs: 20 }),
              attemptOf(2, {
                statusCode: 500,
                outcome: 'http_500',
                latencyMs: 2,
                inputTokens: null,
                outputTokens: null,
              }),
            ],
            updates: [],
          },
        ]);
        assert.deepEqual(await store.attemptStats(JOB), {
          attempts: 4,
          failuresByCause: { http_429: 1, http_500: 1 },
          retriesByCause: { http_429: 1 },
          inputTokens: 6,
          outputTokens: 8,
          latencyP50Ms: 20,
          latencyP95Ms: 20,
        });
        assert.deepEqual(await store.attemptStats('nope'), {
          attempts: 0,
          failuresByCause: {},
          retriesByCause: {},
          inputTokens: 0,
          outputTokens: 0,
          latencyP50Ms: null,
          latencyP95Ms: null,
        });
      });
    });

    it('tells items finished since a time, the last finish, and the latest failures newest first', async () => {
      await withStore(openStore, async (store) => {
        await createTestJob(store);
        await ingestItems(store, 3);
        assert.deepEqual(await store.activity(JOB, 0), { finishedSince: 0, lastFinishedAt: null });
        const error = { code: 'http_400', message: 'bad', status: 400 };
        await store.commitProgress([
          {
            jobId: JOB,
            attempts: [
              attemptOf(0, { startedAt: 5, statusCode: 500, outcome: 'http_500' }),
              attemptOf(1, { startedAt: 6, statusCode: 400, outcome: 'http_400' }),
              attemptOf(0, { attempt: 2, startedAt: 7 }),
            ],
            updates: [
              {
                seq: 0,
                state: 'succeeded',
                attempts: 2,
                statusCode: 200,
                requestId: null,
                body: '{}',
                completedAt: 100,
              },
              { seq: 1, state: 'failed', attempts: 1, error, completedAt: 200 },
            ],
          },
        ]);
        assert.deepEqual(await store.activity(JOB, 150), { finishedSince: 1, lastFinishedAt: 200 });
        assert.deepEqual(await store.activity(JOB, 100), { finishedSince: 2, lastFinishedAt: 200 });
        assert.deepEqual(await store.recentFailures(JOB, 5), [
          { customId: 'c1', attempt: 1, cause: 'http_400', statusCode: 400, at: 6 },
          { customId: 'c0', attempt: 1, cause: 'http_500', statusCode: 500, at: 5 },
        ]);
        assert.equal((await store.recentFailures(JOB, 1)).length, 1);
      });
    });
  });

  describe('paging', () => {
    it('lists every item once, in input order, across page boundaries', async () => {
      await withStore(openStore, async (store) => {
        await createTestJob(store);
        // Three ingest calls, with holes in seq (duplicates rejected), as a real reader leaves them.
        for (const from of [0, 1_500, 3_000]) {
          const items = newItems(from, 1_500).filter((item) => item.seq % 7 !== 3);
          await store.ingest(JOB, {
            items,
            rejects: [],
            limit: 0,
            position: { byte: 0, line: 0, seq: from + 1_500, done: false },
          });
        }
        const expected = newItems(0, MANY)
          .filter((item) => item.seq % 7 !== 3)
          .map((item) => item.seq);
        assert.deepEqual(
          (await collect(store.iterateLocations(JOB))).map((item) => item.seq),
          expected,
        );
        assert.deepEqual(
          (await collect(store.iterateUnfinished(JOB))).map((item) => item.seq),
          expected,
        );
        assert.deepEqual(
          (await collect(store.iterateItems(JOB, 'input'))).map((item) => item.seq),
          expected,
        );
        assert.deepEqual(
          (await collect(store.pendingItems(JOB))).map((item) => item.seq),
          expected,
        );
      });
    });

    it('lists items in completion order (ties by input order) across page boundaries, unfinished ones last', async () => {
      await withStore(openStore, async (store) => {
        await createTestJob(store);
        await ingestItems(store, MANY);
        // Finished in reverse blocks of 1000, every item of a block at the same time: ties span every page boundary.
        const finished = newItems(0, MANY - 100).map((item): ItemUpdate => ({
          seq: item.seq,
          state: 'succeeded',
          attempts: 1,
          statusCode: 200,
          requestId: null,
          body: '{}',
          completedAt: 10 - Math.floor(item.seq / 1_000),
        }));
        await commitInSlices(store, finished);
        const order = (await collect(store.iterateItems(JOB, 'completion'))).map((item) => item.seq);
        const expected = [...finished]
          .sort(
            (a, b) =>
              (a.state === 'succeeded' && b.state === 'succeeded' ? a.completedAt - b.completedAt : 0) || a.seq - b.seq,
          )
          .map((update) => update.seq);
        for (let seq = MANY - 100; seq < MANY; seq++) expected.push(seq);
        assert.equal(order.length, MANY);
        assert.deepEqual(order, expected);
      });
    });

    it('lists every reject once, in line order, across page boundaries', async () => {
      await withStore(openStore, async (store) => {
        await createTestJob(store);
        const rejects = Array.from({ length: MANY }, (_, index) => ({ line: MANY - index, reason: 'bad', raw: 'x' }));
        await store.ingest(JOB, {
          items: [],
          rejects,
          limit: 0,
          position: { byte: 0, line: MANY, seq: 0, done: true },
        });
        const lines = (await collect(store.iterateRejects(JOB))).map((reject) => reject.line);
        assert.deepEqual(
          lines,
          Array.from({ length: MANY }, (_, index) => index + 1),
        );
      });
    });

    it('lists each pending item once while chunks are cut from what it already listed', async () => {
      await withStore(openStore, async (store) => {
        await createTestJob(store);
        await ingestItems(store, MANY);
        const seen: number[] = [];
        let batch: number[] = [];
        for await (const item of store.pendingItems(JOB)) {
          seen.push(item.seq);
          batch.push(item.seq);
          if (batch.length === 700) {
            await store.createChunk(JOB, { bytes: 1, tokens: 0, url: '/v1/x', model: null, now: 1 }, batch);
            batch = [];
          }
        }
        assert.deepEqual(
          seen,
          Array.from({ length: MANY }, (_, index) => index),
        );
        const inChunks = (await store.listChunks(JOB)).reduce((sum, chunk) => sum + chunk.itemCount, 0);
        assert.equal(inChunks, MANY - batch.length);
        assert.deepEqual(
          (await collect(store.chunkItems(JOB, 2))).map((item) => item.seq),
          Array.from({ length: 700 }, (_, index) => 700 + index),
        );
        // Stopping early is fine: the list is closed, and the store stays usable.
        for await (const item of store.pendingItems(JOB)) {
          assert.equal(item.seq, MANY - batch.length);
          break;
        }
        assert.equal((await store.counts(JOB)).total, MANY);
      });
    });
  });
}
