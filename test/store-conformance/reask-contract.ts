import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ItemCheck } from '../../src/core/item.ts';
import type { ItemUpdate } from '../../src/store/store.ts';
import {
  attemptOf,
  collect,
  createTestJob,
  ingestItems,
  JOB,
  rejectionCode,
  type OpenStore,
  withStore,
  INVALID,
  VALID,
  CHUNK,
} from './store-fixtures.ts';

function reask(seq: number, attempts: number, reasks: number, body: string | Uint8Array = '{"answer":1}'): ItemUpdate {
  return {
    seq,
    state: 'pending',
    attempts,
    reasks,
    statusCode: 200,
    requestId: `r${String(seq)}`,
    body,
    check: INVALID,
  };
}

/** Answers checked and re-asked (docs/decisions/0019): checks kept beside answers, re-asks as pending again. */
export function describeReaskContract(openStore: OpenStore): void {
  describe('answer checks and re-asks', () => {
    it('moves a re-asked item back to pending with reasks + 1, keeping its answer and check for resume', async () => {
      await withStore(openStore, async (store) => {
        await createTestJob(store);
        await ingestItems(store, 2);
        await store.commitProgress([
          {
            jobId: JOB,
            attempts: [attemptOf(0, { reask: 0, check: 'invalid' })],
            updates: [reask(0, 1, 1)],
          },
        ]);
        const [first] = await collect(store.iterateItems(JOB, 'input'));
        assert.equal(first?.state, 'pending');
        assert.equal(first?.reasks, 1);
        assert.deepEqual(first?.check, INVALID);
        assert.equal(first?.responseBody, '{"answer":1}');
        assert.equal(first?.attempts, 1);
        const unfinished = await collect(store.iterateUnfinished(JOB));
        assert.deepEqual(
          unfinished.map((item) => [item.seq, item.attempts, item.reasks ?? 0, item.previous]),
          [
            [0, 1, 1, { responseBody: '{"answer":1}', check: INVALID }],
            [1, 0, 0, undefined],
          ],
        );
        // A second re-ask of a pending item (pending -> pending), then its answer stands with its check.
        await store.commitProgress([{ jobId: JOB, attempts: [], updates: [reask(0, 2, 2, '{"answer":2}')] }]);
        await store.commitProgress([
          {
            jobId: JOB,
            attempts: [attemptOf(0, { attempt: 3, reask: 2, check: 'valid' })],
            updates: [
              {
                seq: 0,
                state: 'succeeded',
                attempts: 3,
                statusCode: 200,
                requestId: 'r',
                body: '{"answer":3}',
                completedAt: 9,
                check: VALID,
              },
            ],
          },
        ]);
        const [answered, plain] = await collect(store.iterateItems(JOB, 'input'));
        assert.deepEqual(
          [answered?.state, answered?.reasks, answered?.check, answered?.responseBody],
          ['succeeded', 2, VALID, '{"answer":3}'],
        );
        assert.deepEqual([plain?.reasks, plain?.check], [0, null]);
      });
    });

    it('keeps a large re-asked answer (bytes) whole for the re-ask rebuilt on resume', async () => {
      await withStore(openStore, async (store) => {
        await createTestJob(store);
        await ingestItems(store, 1);
        const text = `{"long":"${'x'.repeat(3000)}"}`;
        await store.commitProgress([
          { jobId: JOB, attempts: [], updates: [reask(0, 1, 1, new TextEncoder().encode(text))] },
        ]);
        const [open] = await collect(store.iterateUnfinished(JOB));
        assert.equal(open?.previous?.responseBody, text);
      });
    });

    it('refuses a re-ask of an answered item, changing nothing', async () => {
      await withStore(openStore, async (store) => {
        await createTestJob(store);
        await ingestItems(store, 1);
        await store.commitProgress([
          {
            jobId: JOB,
            attempts: [],
            updates: [
              { seq: 0, state: 'succeeded', attempts: 1, statusCode: 200, requestId: null, body: '{}', completedAt: 2 },
            ],
          },
        ]);
        await assert.rejects(store.commitProgress([{ jobId: JOB, attempts: [], updates: [reask(0, 2, 1)] }]));
        const [item] = await collect(store.iterateItems(JOB, 'input'));
        assert.deepEqual([item?.state, item?.reasks], ['succeeded', 0]);
      });
    });

    it('puts a re-asked chunk line back to pending for a wave of its own, with its answer and check', async () => {
      await withStore(openStore, async (store) => {
        await createTestJob(store);
        await ingestItems(store, 3);
        await store.createChunk(JOB, CHUNK, [0, 1, 2]);
        const merged = await store.mergeChunkResults(JOB, 1, [
          {
            state: 'reask',
            reasks: 1,
            statusCode: 200,
            requestId: 'q',
            body: '{"answer":1}',
            check: INVALID,
            attempt: attemptOf(1, { reask: 0, check: 'invalid' }),
          },
          {
            state: 'succeeded',
            statusCode: 200,
            requestId: 'p',
            body: '{"ok":1}',
            completedAt: 8,
            check: VALID,
            attempt: attemptOf(0, { reask: 0, check: 'valid' }),
          },
        ]);
        assert.equal(merged, 2);
        // Merging the same lines again changes nothing (the item left the chunk).
        assert.equal(
          await store.mergeChunkResults(JOB, 1, [
            {
              state: 'reask',
              reasks: 1,
              statusCode: 200,
              requestId: 'q',
              body: '{"answer":1}',
              check: INVALID,
              attempt: attemptOf(1),
            },
          ]),
          0,
        );
        await store.closeChunk(JOB, 1, { kind: 'cancel', now: 9 });
        const pending = await collect(store.pendingItems(JOB));
        assert.deepEqual(
          pending.map((item) => [item.seq, item.reasks ?? 0, item.previous?.check.status]),
          [[1, 1, 'invalid']],
        );
        await store.createChunk(JOB, CHUNK, [1]);
        const [inWave] = await collect(store.chunkItems(JOB, 2));
        assert.deepEqual([inWave?.reasks, inWave?.previous?.responseBody], [1, '{"answer":1}']);
        const items = await collect(store.iterateItems(JOB, 'input'));
        assert.deepEqual(
          items.map((item) => [item.state, item.reasks, item.check?.status ?? null]),
          [
            ['succeeded', 0, 'valid'],
            ['in_flight', 1, 'invalid'],
            ['cancelled', 0, null],
          ],
        );
        assert.equal((await store.attemptStats(JOB)).attempts, 2);
      });
    });

    it('counts checks by status, valid answers by the re-asks they took, and the re-asks billed', async () => {
      await withStore(openStore, async (store) => {
        await createTestJob(store);
        await ingestItems(store, 4);
        const answer = (seq: number, reasks: number, check: ItemCheck): ItemUpdate => ({
          seq,
          state: 'succeeded',
          attempts: reasks + 1,
          statusCode: 200,
          requestId: null,
          body: '{}',
          completedAt: 5,
          check,
        });
        await store.commitProgress([
          {
            jobId: JOB,
            attempts: [
              attemptOf(0, { reask: 0, check: 'invalid' }),
              attemptOf(0, { attempt: 2, reask: 1, check: 'valid', inputTokens: 7, outputTokens: 8 }),
              attemptOf(1, { reask: 0, check: 'valid' }),
              attemptOf(2, { reask: 0, check: 'invalid' }),
              attemptOf(3),
            ],
            updates: [reask(0, 1, 1), reask(2, 1, 1)],
          },
        ]);
        await store.commitProgress([
          {
            jobId: JOB,
            attempts: [],
            updates: [answer(0, 1, VALID), answer(1, 0, { ...VALID, status: 'repaired' }), answer(2, 1, INVALID)],
          },
        ]);
        assert.deepEqual(await store.reviewStats(JOB), {
          byStatus: { valid: 1, repaired: 1, invalid: 1 },
          validAfterReasks: [1, 1],
          reaskAttempts: 1,
          reaskInputTokens: 7,
          reaskOutputTokens: 8,
        });
      });
    });

    it('keeps a data job record', async () => {
      await withStore(openStore, async (store) => {
        await createTestJob(store);
        assert.equal((await store.getJob(JOB))?.data, null);
        await store.setJobData(JOB, { promptsHash: 'h', manifestPath: '/data/out/manifest.json' });
        assert.deepEqual((await store.getJob(JOB))?.data, {
          promptsHash: 'h',
          manifestPath: '/data/out/manifest.json',
        });
        assert.equal(await rejectionCode(store.setJobData('nope', {})), 'JOB_NOT_FOUND');
        // Written with the job itself: no run can see a data job without its record.
        await store.createJob({
          id: 'with-data',
          inputPath: '/data/in.jsonl',
          inputFingerprint: { size: 10, sample: 'abc', mtimeMs: 5 },
          config: { concurrency: 4, mode: 'realtime', input: { format: 'openai_batch' } },
          outDir: '/data/out2',
          now: 2,
          data: { promptsHash: 'h2' },
        });
        assert.deepEqual((await store.getJob('with-data'))?.data, { promptsHash: 'h2' });
      });
    });
  });
}
