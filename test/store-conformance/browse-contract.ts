import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ItemFilter, Store } from '../../src/store/store.ts';
import {
  attemptOf,
  collect,
  createTestJob,
  INVALID,
  JOB,
  newItems,
  type OpenStore,
  VALID,
  withStore,
} from './store-fixtures.ts';

/**
 * `ItemBrowseStore` (docs/decisions/0038): six items in two groups and one of none, of two prompts and one of none,
 * answered valid, invalid, failed and left open; pages by seq under each filter, capped counts, one item whole with
 * its attempts, the counts per prompt, and an invalid answer re-asked again (`reopenItems(job, 'invalid')`).
 */
async function seedItems(store: Store): Promise<void> {
  await createTestJob(store);
  const group = (seq: number): string | null => (seq < 2 ? 'korean' : seq < 4 ? 'mural' : null);
  await store.ingest(JOB, {
    items: newItems(0, 6, (seq) => `row-${String(seq)}-${seq % 2 === 0 ? 'title' : 'tags'}`).map((item) => ({
      ...item,
      group: group(item.seq),
      prompt: item.seq === 5 ? null : item.seq % 2 === 0 ? 'title' : 'tags',
    })),
    rejects: [],
    limit: 0,
    position: { byte: 60, line: 6, seq: 6, done: true },
  });
  const answered = (seq: number, check: typeof VALID, attempts = 1) =>
    ({
      seq,
      state: 'succeeded',
      attempts,
      statusCode: 200,
      requestId: `req-${String(seq)}`,
      body: `{"answer":${String(seq)}}`,
      completedAt: 100 + seq,
      check,
    }) as const;
  await store.commitProgress([
    {
      jobId: JOB,
      attempts: [
        attemptOf(0, { statusCode: 500, outcome: 'http_500', inputTokens: null, outputTokens: null }),
        attemptOf(0, { attempt: 2, startedAt: 20, latencyMs: 7 }),
        attemptOf(1),
        attemptOf(2, { reask: 0, check: 'invalid' }),
        attemptOf(4, { statusCode: 500, outcome: 'http_500', inputTokens: null, outputTokens: null }),
      ],
      updates: [
        answered(0, VALID, 2),
        answered(1, VALID),
        answered(2, INVALID),
        {
          seq: 4,
          state: 'failed',
          attempts: 1,
          error: { code: 'http_500', message: 'down', status: 500 },
          completedAt: 104,
        },
      ],
    },
  ]);
}

export function describeBrowseContract(openStore: OpenStore): void {
  describe('item browsing', () => {
    it('pages items by seq under each filter, and counts them up to a cap', async () => {
      await withStore(openStore, async (store) => {
        await seedItems(store);
        const seqs = async (filter: ItemFilter, after = 0, limit = 10): Promise<number[]> =>
          (await store.itemPage(JOB, filter, after, limit)).map((item) => item.seq);
        // seq 0 is never listed after 0: pages start after a seq, and the first page after -1.
        assert.deepEqual(await seqs({}, -1), [0, 1, 2, 3, 4, 5]);
        assert.deepEqual(await seqs({}, -1, 2), [0, 1]);
        assert.deepEqual(await seqs({}, 1, 2), [2, 3]);
        assert.deepEqual(await seqs({ state: 'succeeded' }, -1), [0, 1, 2]);
        assert.deepEqual(await seqs({ state: 'pending' }, -1), [3, 5]);
        assert.deepEqual(await seqs({ group: 'mural' }, -1), [2, 3]);
        assert.deepEqual(await seqs({ group: '' }, -1), [4, 5]);
        assert.deepEqual(await seqs({ prompt: 'tags' }, -1), [1, 3]);
        assert.deepEqual(await seqs({ errorCode: 'http_500' }, -1), [4]);
        assert.deepEqual(await seqs({ checkStatus: 'invalid' }, -1), [2]);
        assert.deepEqual(await seqs({ minAttempts: 2 }, -1), [0]);
        assert.deepEqual(await seqs({ idContains: 'tags' }, -1), [1, 3, 5]);
        assert.deepEqual(await seqs({ idContains: '%' }, -1), [], 'no wildcard: the text as typed');
        assert.deepEqual(await seqs({ state: 'succeeded', group: 'korean', idContains: 'title' }, -1), [0]);
        assert.equal(await store.countItems(JOB, {}, 100), 6);
        assert.equal(await store.countItems(JOB, {}, 4), 4);
        assert.equal(await store.countItems(JOB, { state: 'pending' }, 100), 2);
        assert.equal(await store.countItems('nope', {}, 100), 0);

        const [first] = await store.itemPage(JOB, {}, -1, 1);
        assert.deepEqual(first, {
          seq: 0,
          customId: 'row-0-title',
          lineNo: 1,
          state: 'succeeded',
          attempts: 2,
          reasks: 0,
          statusCode: 200,
          errorCode: null,
          checkStatus: 'valid',
          group: 'korean',
          prompt: 'title',
          completedAt: 100,
        });
        const [failed] = await store.itemPage(JOB, { state: 'failed' }, -1, 1);
        assert.equal(failed?.errorCode, 'http_500');
      });
    });

    it('reads one item whole, with its attempts in order', async () => {
      await withStore(openStore, async (store) => {
        await seedItems(store);
        const detail = await store.itemDetail(JOB, 0);
        assert.ok(detail !== undefined);
        assert.equal(detail.item.customId, 'row-0-title');
        assert.equal(detail.item.state, 'succeeded');
        assert.equal(detail.group, 'korean');
        assert.equal(detail.prompt, 'title');
        assert.equal(detail.completedAt, 100);
        assert.deepEqual(detail.item.check, VALID);
        const body = detail.item.responseBody;
        assert.equal(typeof body === 'string' ? body : Buffer.from(body ?? []).toString('utf8'), '{"answer":0}');
        assert.deepEqual(
          detail.attempts.map((attempt) => [attempt.attempt, attempt.outcome, attempt.statusCode]),
          [
            [1, 'http_500', 500],
            [2, 'ok', 200],
          ],
        );
        assert.equal(detail.attempts[1]?.latencyMs, 7);
        assert.equal((await store.itemDetail(JOB, 4))?.item.error?.code, 'http_500');
        assert.equal(await store.itemDetail(JOB, 99), undefined);
        assert.equal(await store.itemDetail('nope', 0), undefined);
      });
    });

    it('counts items per prompt (with their group and state), and asks an invalid answer again with its answer and check kept', async () => {
      await withStore(openStore, async (store) => {
        await seedItems(store);
        const counts = (await store.answerCounts(JOB, 0))
          .map((row) => `${String(row.prompt)} ${row.state} ${String(row.checkStatus)} ${String(row.count)}`)
          .sort();
        assert.deepEqual(counts, [
          'null pending null 1',
          'tags pending null 1',
          'tags succeeded valid 1',
          'title failed null 1',
          'title succeeded invalid 1',
          'title succeeded valid 1',
        ]);

        assert.equal(await store.reopenItems(JOB, 'invalid'), 1);
        const open = await collect(store.iterateUnfinished(JOB));
        assert.deepEqual(
          open.map((item) => item.seq),
          [2, 3, 5],
        );
        const reasked = open[0];
        assert.equal(reasked?.reasks, 1);
        assert.equal(reasked?.reaskBase, 1);
        assert.deepEqual(reasked?.previous, { responseBody: '{"answer":2}', check: INVALID });
        assert.equal(await store.reopenItems(JOB, 'invalid'), 0, 'a pending re-ask is not reopened twice');
        // The valid answers stay answered.
        assert.deepEqual(
          (await store.itemPage(JOB, { state: 'succeeded' }, -1, 10)).map((item) => item.seq),
          [0, 1],
        );
      });
    });

    it('sums the attempt ledger per bucket of time, and reads only newer attempts after a row', async () => {
      await withStore(openStore, async (store) => {
        await seedItems(store);
        const all = await store.attemptHistory(JOB, 0, 10);
        assert.deepEqual(all.buckets, [
          { at: 10, ok: 2, failed: 2, failures: { http_500: 2 }, inputTokens: 6, outputTokens: 8, lastAt: 15 },
          { at: 20, ok: 1, failed: 0, failures: {}, inputTokens: 3, outputTokens: 4, lastAt: 27 },
        ]);
        assert.ok(all.lastRow > 0);
        assert.deepEqual(await store.attemptHistory(JOB, all.lastRow, 10), { lastRow: all.lastRow, buckets: [] });
        await store.commitProgress([{ jobId: JOB, attempts: [attemptOf(3, { startedAt: 37 })], updates: [] }]);
        const newer = await store.attemptHistory(JOB, all.lastRow, 10);
        assert.deepEqual(newer.buckets, [
          { at: 30, ok: 1, failed: 0, failures: {}, inputTokens: 3, outputTokens: 4, lastAt: 42 },
        ]);
        assert.ok(newer.lastRow > all.lastRow);
        assert.deepEqual(await store.attemptHistory('nope', 0, 10), { lastRow: 0, buckets: [] });
      });
    });
  });
}
