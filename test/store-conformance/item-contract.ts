import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ItemUpdate } from '../../src/store/store.ts';
import {
  attemptOf,
  INVALID,
  VALID,
  collect,
  createTestJob,
  ingestItems,
  JOB,
  newItems,
  rejectionCode,
  type OpenStore,
  withStore,
} from './store-fixtures.ts';

const ERROR_500 = { code: 'http_500', message: 'server error', status: 500 };

function succeeded(seq: number, completedAt = 20, body: string | Uint8Array = `{"n":${String(seq)}}`): ItemUpdate {
  return { seq, state: 'succeeded', attempts: 1, statusCode: 200, requestId: `r${String(seq)}`, body, completedAt };
}

/** `ItemStore`: ingest, progress commits, the item lifecycle, and the item lists. */
export function describeItemContract(openStore: OpenStore): void {
  describe('ingest', () => {
    it('turns duplicates into rejects and applies the limit across batches, all in one commit per call', async () => {
      await withStore(openStore, async (store) => {
        await createTestJob(store);
        // c1 again (seq 3) is a duplicate within the batch; limit 4 leaves seqs 5 and 6 out.
        const first = await store.ingest(JOB, {
          items: [...newItems(0, 3), { ...newItems(3, 1)[0]!, customId: 'c1' }, ...newItems(4, 3)],
          rejects: [{ line: 99, reason: 'invalid JSON', raw: '{' }],
          limit: 4,
          position: { byte: 70, line: 7, seq: 7, done: false },
        });
        assert.deepEqual(
          first.pending.map((item) => item.customId),
          ['c0', 'c1', 'c2', 'c4'],
        );
        assert.deepEqual(first.cursor, {
          byte: 70,
          line: 7,
          seq: 7,
          accepted: 4,
          leftOut: 2,
          rejected: 2,
          done: false,
        });
        // A later batch: a duplicate of an earlier one, and more left out by the limit.
        const second = await store.ingest(JOB, {
          items: [{ ...newItems(7, 1)[0]!, customId: 'c0' }, ...newItems(8, 1)],
          rejects: [],
          limit: 4,
          position: { byte: 90, line: 9, seq: 9, done: true },
          inputSha256: 'f'.repeat(64),
        });
        assert.deepEqual(second.pending, []);
        assert.deepEqual(second.cursor, {
          byte: 90,
          line: 9,
          seq: 9,
          accepted: 4,
          leftOut: 3,
          rejected: 3,
          done: true,
        });
        const job = await store.getJob(JOB);
        assert.deepEqual(job?.cursor, second.cursor);
        assert.equal(job?.inputFingerprint.sha256, 'f'.repeat(64));

        const rejects = await collect(store.iterateRejects(JOB));
        assert.deepEqual(
          rejects.map((reject) => [reject.line, reject.custom_id]),
          [
            [4, 'c1'],
            [8, 'c0'],
            [99, undefined],
          ],
        );
        const items = await collect(store.iterateItems(JOB, 'input'));
        assert.deepEqual(
          items.map((item) => [item.customId, item.state, item.missingReason]),
          [
            ['c0', 'pending', null],
            ['c1', 'pending', null],
            ['c2', 'pending', null],
            ['c4', 'pending', null],
            ['c5', 'cancelled', 'limit'],
            ['c6', 'cancelled', 'limit'],
            ['c8', 'cancelled', 'limit'],
          ],
        );
        assert.deepEqual(await store.counts(JOB), {
          total: 7,
          pending: 4,
          retryWait: 0,
          succeeded: 0,
          failed: 0,
          cancelled: 3,
        });
      });
    });

    it('keeps where each line sits, and cuts a long rejected line to 1 KB', async () => {
      await withStore(openStore, async (store) => {
        await createTestJob(store);
        await store.ingest(JOB, {
          items: newItems(0, 2),
          rejects: [{ line: 3, reason: 'too long', raw: 'é'.repeat(2000) }],
          limit: 0,
          position: { byte: 30, line: 3, seq: 2, done: true },
        });
        assert.deepEqual(await collect(store.iterateLocations(JOB)), [
          { seq: 0, customId: 'c0', lineNo: 1, byteOffset: 0, byteLength: 9, lineHash: 0 },
          { seq: 1, customId: 'c1', lineNo: 2, byteOffset: 10, byteLength: 9, lineHash: 1 },
        ]);
        const [reject] = await collect(store.iterateRejects(JOB));
        assert.ok(Buffer.byteLength(reject?.raw ?? '') <= 1024);
        assert.ok(reject?.raw.startsWith('éé'));
      });
    });

    it('commits nothing for an unknown job', async () => {
      await withStore(openStore, async (store) => {
        const code = await rejectionCode(
          store.ingest('nope', {
            items: newItems(0, 1),
            rejects: [],
            limit: 0,
            position: { byte: 1, line: 1, seq: 1, done: false },
          }),
        );
        assert.equal(code, 'JOB_NOT_FOUND');
        assert.deepEqual(await collect(store.iterateItems('nope', 'input')), []);
      });
    });
  });

  describe('progress and the item lifecycle', () => {
    it('commits attempts and states of several jobs in one call; answers come back as given', async () => {
      await withStore(openStore, async (store) => {
        await createTestJob(store, 'a');
        await createTestJob(store, 'b');
        await ingestItems(store, 3, 'a');
        await ingestItems(store, 1, 'b');
        const bytes = new TextEncoder().encode('{"big":true}');
        await store.commitProgress([
          {
            jobId: 'a',
            attempts: [attemptOf(0), attemptOf(1, { statusCode: 400, outcome: 'http_400' }), attemptOf(2)],
            updates: [
              succeeded(0, 20, bytes),
              {
                seq: 1,
                state: 'failed',
                attempts: 1,
                error: { code: 'http_400', message: 'bad', status: 400 },
                completedAt: 21,
              },
              { seq: 2, state: 'cancelled', attempts: 1, missingReason: 'auth' },
            ],
          },
          { jobId: 'b', attempts: [attemptOf(0)], updates: [succeeded(0, 22)] },
        ]);
        const [first, second, third] = await collect(store.iterateItems('a', 'input'));
        assert.equal(first?.state, 'succeeded');
        assert.equal(first?.statusCode, 200);
        assert.equal(first?.requestId, 'r0');
        assert.deepEqual(Buffer.from(first?.responseBody as Uint8Array), Buffer.from(bytes));
        assert.equal(second?.state, 'failed');
        assert.deepEqual(second?.error, { code: 'http_400', message: 'bad', status: 400 });
        assert.equal(third?.state, 'cancelled');
        assert.equal(third?.missingReason, 'auth');
        const [other] = await collect(store.iterateItems('b', 'input'));
        assert.equal(other?.responseBody, '{"n":0}');
        assert.equal((await store.attemptStats('a')).attempts, 3);
        assert.equal((await store.attemptStats('b')).attempts, 1);
      });
    });

    it('refuses an update the item lifecycle forbids, rolling back the whole call', async () => {
      await withStore(openStore, async (store) => {
        await createTestJob(store);
        await ingestItems(store, 2);
        await store.commitProgress([{ jobId: JOB, attempts: [attemptOf(0)], updates: [succeeded(0)] }]);
        // succeeded is terminal: a second answer for it, committed with another item's, changes nothing at all.
        await assert.rejects(
          store.commitProgress([
            {
              jobId: JOB,
              attempts: [attemptOf(1), attemptOf(0, { attempt: 2 })],
              updates: [succeeded(1), { seq: 0, state: 'failed', attempts: 2, error: ERROR_500, completedAt: 30 }],
            },
          ]),
        );
        const items = await collect(store.iterateItems(JOB, 'input'));
        assert.deepEqual(
          items.map((item) => item.state),
          ['succeeded', 'pending'],
        );
        assert.equal((await store.attemptStats(JOB)).attempts, 1);
        // An update of an item the job does not have is refused too.
        await assert.rejects(store.commitProgress([{ jobId: JOB, attempts: [], updates: [succeeded(7)] }]));
      });
    });

    it('keeps an item waiting for a retry unfinished: listed for resume, retried again, then answered', async () => {
      await withStore(openStore, async (store) => {
        await createTestJob(store);
        await ingestItems(store, 3);
        const wait = (seq: number, attempts: number): ItemUpdate => ({
          seq,
          state: 'retry_wait',
          attempts,
          error: ERROR_500,
        });
        await store.commitProgress([{ jobId: JOB, attempts: [], updates: [wait(1, 1)] }]);
        await store.commitProgress([{ jobId: JOB, attempts: [], updates: [wait(1, 2)] }]);
        assert.equal((await store.counts(JOB)).retryWait, 1);
        assert.deepEqual(
          (await collect(store.iterateUnfinished(JOB))).map((item) => [item.seq, item.attempts]),
          [
            [0, 0],
            [1, 2],
            [2, 0],
          ],
        );
        const [, waiting] = await collect(store.iterateItems(JOB, 'input'));
        assert.deepEqual(waiting?.error, ERROR_500);
        await store.commitProgress([{ jobId: JOB, attempts: [], updates: [{ ...succeeded(1), attempts: 3 }] }]);
        assert.equal((await store.counts(JOB)).retryWait, 0);
        assert.deepEqual(
          (await collect(store.iterateUnfinished(JOB))).map((item) => item.seq),
          [0, 2],
        );
      });
    });

    it('cancels unfinished items with a reason and reopens them, never those left out by the limit', async () => {
      await withStore(openStore, async (store) => {
        await createTestJob(store);
        await store.ingest(JOB, {
          items: newItems(0, 5),
          rejects: [],
          limit: 4,
          position: { byte: 50, line: 5, seq: 5, done: true },
        });
        await store.commitProgress([
          {
            jobId: JOB,
            attempts: [],
            updates: [
              succeeded(0),
              { seq: 1, state: 'failed', attempts: 1, error: ERROR_500, completedAt: 20 },
              { seq: 2, state: 'retry_wait', attempts: 1, error: ERROR_500 },
            ],
          },
        ]);
        assert.equal(await store.cancelUnfinished(JOB, 'interrupted'), 2);
        const states = async (): Promise<string[]> =>
          (await collect(store.iterateItems(JOB, 'input'))).map(
            (item) => `${item.state}${item.missingReason === null ? '' : `:${item.missingReason}`}`,
          );
        assert.deepEqual(await states(), [
          'succeeded',
          'failed',
          'cancelled:interrupted',
          'cancelled:interrupted',
          'cancelled:limit',
        ]);
        assert.equal(await store.reopenItems(JOB, 'cancelled'), 2);
        assert.deepEqual(await states(), ['succeeded', 'failed', 'pending', 'pending', 'cancelled:limit']);
        assert.equal(await store.reopenItems(JOB, 'failed'), 1);
        const [, reopened] = await collect(store.iterateItems(JOB, 'input'));
        assert.equal(reopened?.state, 'pending');
        assert.equal(reopened?.attempts, 0);
        assert.equal(reopened?.error, null);
      });
    });
  });

  describe('answer counts', () => {
    it('counts every item by group, state, check and missing reason, with those finished since a time', async () => {
      await withStore(openStore, async (store) => {
        await createTestJob(store);
        const group = (seq: number): string | null => (seq < 2 ? 'korean' : seq < 4 ? 'mural' : null);
        await store.ingest(JOB, {
          items: newItems(0, 6).map((item) => ({ ...item, group: group(item.seq) })),
          rejects: [],
          limit: 0,
          position: { byte: 60, line: 6, seq: 6, done: true },
        });
        const checked = (seq: number, at: number, check: typeof VALID): ItemUpdate => ({
          seq,
          state: 'succeeded',
          attempts: 1,
          statusCode: 200,
          requestId: null,
          body: '{}',
          completedAt: at,
          check,
        });
        await store.commitProgress([
          {
            jobId: JOB,
            attempts: [],
            updates: [
              checked(0, 20, VALID),
              checked(1, 50, VALID),
              checked(2, 50, INVALID),
              { seq: 4, state: 'failed', attempts: 1, error: ERROR_500, completedAt: 60 },
            ],
          },
        ]);
        const counts = await store.answerCounts(JOB, 50);
        const key = (row: { group: string | null; state: string; checkStatus: string | null }): string =>
          `${row.group ?? '-'} ${row.state} ${row.checkStatus ?? '-'}`;
        assert.deepEqual(
          counts.map((row) => [key(row), row.count, row.recent]).sort(),
          [
            ['- failed -', 1, 1],
            ['- pending -', 1, 0],
            ['korean succeeded valid', 2, 1],
            ['mural pending -', 1, 0],
            ['mural succeeded invalid', 1, 1],
          ].sort(),
        );
        assert.deepEqual(await store.answerCounts('job-nope', 0), []);
      });
    });
  });
}
