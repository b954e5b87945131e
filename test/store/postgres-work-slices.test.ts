import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { withPostgresStores } from '../helpers/postgres-stores.ts';
import { startPostgres, type PostgresHandle } from '../helpers/start-postgres.ts';
import { attemptOf, createTestJob, ingestItems, JOB, newItems } from '../store-conformance/store-fixtures.ts';

/** The work role (docs/decisions/0031) on a real server: slices cut, claimed once, heartbeated, reclaimed, guarded. */
describe('PostgreSQL store: slices of work', () => {
  let server: PostgresHandle;
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server.stop();
  });

  const withStores = withPostgresStores(() => server, 'slices');

  it('cuts open items into slices, each claimed by one worker, with the lines kept in the store', async () => {
    await withStores(3, async (a, b, c) => {
      await createTestJob(a);
      await ingestItems(a, 25);
      assert.equal(await a.cutSlices(JOB, 10), 3);
      const claims = await Promise.all([a, b, c, a].map((store, n) => store.claimSlice([JOB], `w${String(n)}`)));
      const held = claims.filter((claim) => claim !== undefined);
      assert.equal(held.length, 3, 'three slices, a fourth claim finds none');
      assert.deepEqual(
        held.map((slice) => [slice.firstSeq, slice.lastSeq]).sort((x, y) => x[0]! - y[0]!),
        [
          [0, 9],
          [10, 19],
          [20, 24],
        ],
      );
      const items = await b.sliceItems(JOB, 10, 19);
      assert.deepEqual(
        items.map((item) => item.seq),
        [10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
      );
      const texts = await c.requestTexts(JOB, [10, 24]);
      assert.equal(texts.get(10), '{"n":10}');
      assert.equal(texts.get(24), '{"n":24}');
      assert.deepEqual(await a.sliceCounts(JOB), { open: 3, held: 3, done: 0 });
    });
  });

  it('hands a stale slice to another worker, which counts the attempts left in doubt; the lost holder commits nothing', async () => {
    await withStores(2, async (lost, taker) => {
      await createTestJob(lost);
      await ingestItems(lost, 4);
      await lost.cutSlices(JOB, 10);
      const first = await lost.claimSlice([JOB], 'lost');
      assert.ok(first !== undefined);
      assert.deepEqual(
        await lost.recordSent(JOB, 'lost', [
          { seq: 0, attempt: 1, sentAt: 1 },
          { seq: 1, attempt: 1, sentAt: 1 },
        ]),
        [],
        'both in the slice it holds',
      );
      // Item 0's outcome is committed before the worker is lost: it is never sent again.
      assert.deepEqual(
        await lost.commitSliceProgress(
          [
            {
              jobId: JOB,
              attempts: [attemptOf(0)],
              updates: [
                {
                  seq: 0,
                  state: 'succeeded',
                  attempts: 1,
                  statusCode: 200,
                  requestId: null,
                  body: '{}',
                  completedAt: 5,
                },
              ],
            },
          ],
          'lost',
        ),
        [],
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(await taker.reclaimStaleSlices(10), 1);
      const again = await taker.claimSlice([JOB], 'taker');
      assert.equal(again?.inDoubt, 1, 'item 1 was out on the lost worker');
      assert.equal(again?.generation, 1, 'handed out a second time');
      assert.deepEqual(
        (await taker.sliceItems(JOB, 0, 3)).map((item) => item.seq),
        [1, 2, 3],
      );
      // Woken, the lost worker may record (and so send) nothing more of the slice.
      assert.deepEqual(await lost.recordSent(JOB, 'lost', [{ seq: 2, attempt: 1, sentAt: 7 }]), [2]);
      const dropped = await lost.commitSliceProgress(
        [
          {
            jobId: JOB,
            attempts: [attemptOf(1)],
            updates: [
              { seq: 1, state: 'succeeded', attempts: 1, statusCode: 200, requestId: null, body: '{}', completedAt: 6 },
            ],
          },
        ],
        'lost',
      );
      assert.deepEqual(dropped, [{ jobId: JOB, sliceNo: first.sliceNo }]);
      assert.equal((await taker.counts(JOB)).succeeded, 1);
      assert.deepEqual(await lost.heartbeatSlices('lost'), []);
      assert.deepEqual(await taker.heartbeatSlices('taker'), [{ jobId: JOB, sliceNo: first.sliceNo }]);
      assert.equal(await taker.finishSlice({ jobId: JOB, sliceNo: first.sliceNo }, 'taker'), true);
      assert.deepEqual(await taker.sliceCounts(JOB), { open: 0, held: 0, done: 1 });
    });
  });

  it("gives back a stopping worker's slices and withdraws a stopped job's", async () => {
    await withStores(2, async (a, b) => {
      await createTestJob(a);
      await ingestItems(a, 20);
      await a.cutSlices(JOB, 5);
      await a.claimSlice([JOB], 'a');
      await a.claimSlice([JOB], 'a');
      const one = await a.claimSlice([JOB], 'a');
      assert.ok(one !== undefined);
      assert.equal(await a.releaseSlices('a', one), 1, 'only the slice named');
      assert.equal(await a.releaseSlices('a'), 2);
      const claimed = [];
      for (let n = 0; n < 5; n += 1) claimed.push(await b.claimSlice([JOB], 'b'));
      assert.equal(claimed.filter((slice) => slice !== undefined).length, 4, 'every slice handed out again once');
      assert.deepEqual(await a.jobsWithOpenSlices('*'), []);
      await a.withdrawSlices(JOB);
      assert.deepEqual(await b.heartbeatSlices('b'), []);
      await a.stopJobWork(JOB, { reason: 'auth', message: 'first' });
      await a.stopJobWork(JOB, { reason: 'budget', message: 'second' });
      assert.equal((await b.workStop(JOB))?.message, 'first');
      // A worker of this cut reserves budget and is killed with -9: its reservation never comes back...
      await a.reserveBudget(JOB, { limitUsd: 1, wantUsd: 0.4, spentBeforeUsd: 0.1 });
      assert.equal((await b.budgetState(JOB))?.reservedUsd, 0.4);
      await a.cutSlices(JOB, 100);
      assert.equal(await b.workStop(JOB), undefined, 'a new cut clears it');
      // ...until the job's slices are cut again (resume): no reservation of the earlier cut holds the budget back.
      assert.deepEqual(await b.budgetState(JOB), { spentUsd: 0.1, reservedUsd: 0 });
      assert.deepEqual(await b.jobsWithOpenSlices('*'), [JOB]);
      assert.deepEqual(await b.jobsWithOpenSlices('other*'), []);
    });
  });
  it("keeps a job's files in parts and gives them back whole", async () => {
    await withStores(1, async (store) => {
      await createTestJob(store);
      assert.equal(await store.hasJobFile(JOB, 'manifest.gz'), false);
      assert.equal(await store.getJobFile(JOB, 'manifest.gz'), undefined);
      // Over one 8 MB part, with every byte value.
      const big = Buffer.alloc(9 * 1024 * 1024 + 7, 0);
      for (let index = 0; index < big.length; index += 4093) big[index] = index % 256;
      await store.putJobFile(JOB, 'manifest.gz', big);
      assert.equal(await store.hasJobFile(JOB, 'manifest.gz'), true);
      assert.ok((await store.getJobFile(JOB, 'manifest.gz'))?.equals(big));
      // Put again: replaced, no part of the longer file left behind.
      await store.putJobFile(JOB, 'manifest.gz', Buffer.from('small'));
      assert.equal((await store.getJobFile(JOB, 'manifest.gz'))?.toString(), 'small');
    });
  });
  it('cuts the input as it is committed: whole slices while it is read, the rest at its end', async () => {
    await withStores(2, async (submitter, worker) => {
      await createTestJob(submitter);
      const commit = async (from: number, to: number, done: boolean): Promise<void> => {
        await submitter.ingest(JOB, {
          items: newItems(from, to - from),
          rejects: [],
          limit: 0,
          position: { byte: to * 10, line: to, seq: to, done },
        });
      };
      await commit(0, 5, false);
      assert.equal(await submitter.cutSlices(JOB, 10), 1, 'what earlier runs committed');
      await commit(5, 27, false);
      assert.equal(await submitter.appendSlices(JOB, 10, false), 2, 'two whole slices; 2 items wait');
      assert.equal(await submitter.appendSlices(JOB, 10, false), 0);
      await commit(27, 30, true);
      assert.equal(await submitter.appendSlices(JOB, 10, true), 1, 'the rest, at the end');
      const claimed = [];
      for (;;) {
        const slice = await worker.claimSlice([JOB], 'w');
        if (slice === undefined) break;
        claimed.push([slice.firstSeq, slice.lastSeq]);
      }
      assert.deepEqual(
        claimed.sort((x, y) => x[0]! - y[0]!),
        [
          [0, 4],
          [5, 14],
          [15, 24],
          [25, 29],
        ],
      );
    });
  });
});
