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
} from './store-fixtures.ts';

const ERROR_400 = { code: 'http_400', message: 'bad request', status: 400 };

function answered(seq: number, body: string | Uint8Array, check?: ItemCheck): ItemUpdate {
  return {
    seq,
    state: 'succeeded',
    attempts: 1,
    statusCode: 200,
    requestId: null,
    body,
    completedAt: 9,
    ...(check === undefined ? {} : { check }),
  };
}

/** What a data job reads and rewrites of its answers: join-back's `answersFor` and `validate JOB`'s `setItemChecks`. */
export function describeAnswerContract(openStore: OpenStore): void {
  describe('answers for join-back', () => {
    it('answers each known custom_id with its state, check, error, attempts, model and tokens', async () => {
      await withStore(openStore, async (store) => {
        await createTestJob(store);
        await ingestItems(store, 6);
        const reasked: ItemUpdate = {
          seq: 0,
          state: 'pending',
          attempts: 1,
          reasks: 1,
          statusCode: 200,
          requestId: null,
          body: '{"model":"m-first"}',
          check: INVALID,
        };
        await store.commitProgress([
          {
            jobId: JOB,
            attempts: [
              attemptOf(0, { reask: 0, check: 'invalid', inputTokens: 3, outputTokens: 4 }),
              attemptOf(1, { statusCode: 500, outcome: 'http_500', inputTokens: null, outputTokens: null }),
              attemptOf(1, { attempt: 2, statusCode: 400, outcome: 'http_400', inputTokens: null, outputTokens: null }),
              attemptOf(3, { inputTokens: 5, outputTokens: null }),
              attemptOf(4, { statusCode: 500, outcome: 'http_500', inputTokens: null, outputTokens: null }),
            ],
            updates: [
              reasked,
              { seq: 1, state: 'failed', attempts: 2, error: ERROR_400, completedAt: 8 },
              answered(3, 'plain text, not JSON'),
              { seq: 4, state: 'retry_wait', attempts: 1, error: { code: 'http_500', message: 'x', status: 500 } },
              answered(5, new TextEncoder().encode('{"id":"r","model":"m-bytes","choices":[]}')),
            ],
          },
        ]);
        await store.commitProgress([
          {
            jobId: JOB,
            attempts: [attemptOf(0, { attempt: 2, reask: 1, check: 'valid', inputTokens: 7, outputTokens: 8 })],
            updates: [{ ...answered(0, '{"id":"x","model":"m-second","choices":[]}', VALID), attempts: 2 }],
          },
        ]);

        const answers = await store.answersFor(JOB, ['c5', 'c0', 'nope', 'c1', 'c2', 'c3', 'c4', 'c0']);
        assert.deepEqual([...answers.keys()].sort(), ['c0', 'c1', 'c2', 'c3', 'c4', 'c5']);
        assert.deepEqual(answers.get('c0'), {
          customId: 'c0',
          seq: 0,
          state: 'succeeded',
          check: VALID,
          error: null,
          attempts: 2,
          reasks: 1,
          model: 'm-second',
          usage: { inputTokens: 10, outputTokens: 12 },
          reaskUsage: { inputTokens: 7, outputTokens: 8 },
        });
        assert.deepEqual(answers.get('c1'), {
          customId: 'c1',
          seq: 1,
          state: 'failed',
          check: null,
          error: ERROR_400,
          attempts: 2,
          reasks: 0,
          model: null,
          usage: null,
          reaskUsage: null,
        });
        assert.deepEqual(answers.get('c2'), {
          customId: 'c2',
          seq: 2,
          state: 'pending',
          check: null,
          error: null,
          attempts: 0,
          reasks: 0,
          model: null,
          usage: null,
          reaskUsage: null,
        });
        const plain = answers.get('c3');
        assert.deepEqual(
          [plain?.model, plain?.usage, plain?.reaskUsage],
          [null, { inputTokens: 5, outputTokens: 0 }, null],
        );
        // A waiting item's last error is not an outcome: only a failed item has one.
        assert.deepEqual([answers.get('c4')?.state, answers.get('c4')?.error], ['retry_wait', null]);
        // An answer that came as bytes names its model too.
        assert.equal(answers.get('c5')?.model, 'm-bytes');
      });
    });

    it('counts the attempts made before a retry of a failed item with those after it', async () => {
      await withStore(openStore, async (store) => {
        await createTestJob(store);
        await ingestItems(store, 1);
        await store.commitProgress([
          {
            jobId: JOB,
            attempts: [attemptOf(0, { statusCode: 400, outcome: 'http_400', inputTokens: 2, outputTokens: 0 })],
            updates: [{ seq: 0, state: 'failed', attempts: 1, error: ERROR_400, completedAt: 3 }],
          },
        ]);
        assert.equal(await store.reopenItems(JOB, 'failed'), 1);
        await store.commitProgress([{ jobId: JOB, attempts: [attemptOf(0)], updates: [answered(0, '{}')] }]);
        const answer = (await store.answersFor(JOB, ['c0'])).get('c0');
        assert.deepEqual(
          [answer?.state, answer?.attempts, answer?.error, answer?.usage],
          ['succeeded', 2, null, { inputTokens: 5, outputTokens: 4 }],
        );
      });
    });

    it('answers thousands of ids in one call, and nothing for no ids, unknown ids or an unknown job', async () => {
      await withStore(openStore, async (store) => {
        await createTestJob(store);
        await ingestItems(store, 3_500);
        const ids = Array.from({ length: 3_500 }, (_, seq) => `c${String(3_499 - seq)}`);
        const answers = await store.answersFor(JOB, ids);
        assert.equal(answers.size, 3_500);
        assert.deepEqual(
          [answers.get('c0')?.seq, answers.get('c3499')?.seq, answers.get('c1234')?.customId],
          [0, 3_499, 'c1234'],
        );
        // In seq order with gaps, a repeat and ids the job does not have: each known id once, with its own seq.
        const mixed = await store.answersFor(JOB, ['c10', 'c12', 'c12', 'x', 'c11', 'c3000', 'c9']);
        assert.deepEqual(
          [...mixed.entries()].map(([id, answer]) => [id, answer.seq]).sort((a, b) => Number(a[1]) - Number(b[1])),
          [
            ['c9', 9],
            ['c10', 10],
            ['c11', 11],
            ['c12', 12],
            ['c3000', 3_000],
          ],
        );
        assert.equal((await store.answersFor(JOB, [])).size, 0);
        assert.equal((await store.answersFor(JOB, ['x', '', 'c0 '])).size, 0);
        assert.equal((await store.answersFor('job-nope', ['c0'])).size, 0);
      });
    });
  });

  describe('checks replaced (validate JOB)', () => {
    it('rewrites the checks of answered items, which every read then sees', async () => {
      await withStore(openStore, async (store) => {
        await createTestJob(store);
        await ingestItems(store, 3);
        await store.commitProgress([
          {
            jobId: JOB,
            attempts: [],
            updates: [answered(0, '{"a":1}', INVALID), answered(1, '{"a":1}', VALID), answered(2, '{}')],
          },
        ]);
        await store.setItemChecks(JOB, [
          { seq: 0, check: VALID },
          { seq: 1, check: INVALID },
          { seq: 2, check: { ...VALID, status: 'repaired' } },
        ]);
        const items = await collect(store.iterateItems(JOB, 'input'));
        assert.deepEqual(
          items.map((item) => [item.state, item.check?.status, item.responseBody]),
          [
            ['succeeded', 'valid', '{"a":1}'],
            ['succeeded', 'invalid', '{"a":1}'],
            ['succeeded', 'repaired', '{}'],
          ],
        );
        assert.deepEqual((await store.answersFor(JOB, ['c1'])).get('c1')?.check, INVALID);
        assert.deepEqual((await store.reviewStats(JOB)).byStatus, { valid: 1, invalid: 1, repaired: 1 });
        await store.setItemChecks(JOB, []);
      });
    });

    it('refuses a check of an item without an answer, committing nothing of the call', async () => {
      await withStore(openStore, async (store) => {
        await createTestJob(store);
        await ingestItems(store, 3);
        await store.commitProgress([
          {
            jobId: JOB,
            attempts: [],
            updates: [
              answered(0, '{"a":1}', INVALID),
              { seq: 1, state: 'failed', attempts: 1, error: ERROR_400, completedAt: 2 },
            ],
          },
        ]);
        const checksOf = async (): Promise<(string | null)[]> =>
          (await collect(store.iterateItems(JOB, 'input'))).map((item) => item.check?.status ?? null);
        // Failed, pending, and a seq the job does not have: each refused, and the valid check before it not kept.
        for (const seq of [1, 2, 99]) {
          await assert.rejects(
            store.setItemChecks(JOB, [
              { seq: 0, check: VALID },
              { seq, check: VALID },
            ]),
          );
          assert.deepEqual(await checksOf(), ['invalid', null, null], `seq ${String(seq)}`);
        }
        assert.equal(await rejectionCode(store.setItemChecks('job-nope', [{ seq: 0, check: VALID }])), 'JOB_NOT_FOUND');
      });
    });
  });
}
