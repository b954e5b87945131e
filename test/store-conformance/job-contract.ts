import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { describe, it } from 'node:test';
import { createTestJob, JOB, manualClock, rejectionCode, type OpenStore, withStore } from './store-fixtures.ts';

/** `JobStore` and `LeaseStore`: a job's row, its cancel request, and who runs it. */
export function describeJobContract(openStore: OpenStore): void {
  describe('jobs', () => {
    it('creates a job as created, with an empty cursor and no lease, and gets it back as given', async () => {
      await withStore(openStore, async (store) => {
        const created = await store.createJob({
          id: JOB,
          inputPath: '/data/in.jsonl',
          inputFingerprint: { size: 10, sample: 'abc', mtimeMs: 5 },
          config: {
            concurrency: 4,
            input: { format: 'messages' },
            prices: { m: { input_per_mtok: 1, output_per_mtok: 2 } },
          },
          outDir: '/data/out',
          now: 7,
        });
        assert.equal(created.state, 'created');
        assert.equal(created.createdAt, 7);
        assert.equal(created.lease, null);
        assert.equal(created.cancelRequestedAt, null);
        assert.equal(created.finishedAt, null);
        assert.equal(created.activeMs, 0);
        assert.deepEqual(created.cursor, {
          byte: 0,
          line: 0,
          seq: 0,
          accepted: 0,
          leftOut: 0,
          rejected: 0,
          done: false,
        });
        const got = await store.getJob(JOB);
        assert.deepEqual(got, created);
        assert.equal(got?.inputPath, '/data/in.jsonl');
        assert.equal(got?.outDir, '/data/out');
        assert.deepEqual(got?.inputFingerprint, { size: 10, sample: 'abc', mtimeMs: 5, sha256: null });
        assert.deepEqual(got?.config.input, { format: 'messages' });
        assert.deepEqual(got?.config.prices, { m: { input_per_mtok: 1, output_per_mtok: 2 } });
      });
    });

    it('refuses a second job with the same id, and answers undefined for an unknown one', async () => {
      await withStore(openStore, async (store) => {
        await createTestJob(store);
        await assert.rejects(createTestJob(store));
        assert.equal(await store.getJob('nope'), undefined);
      });
    });

    it('lists every job oldest first, then by id', async () => {
      await withStore(openStore, async (store) => {
        await createTestJob(store, 'b', 2);
        await createTestJob(store, 'c', 1);
        await createTestJob(store, 'a', 2);
        assert.deepEqual(
          (await store.listJobs()).map((job) => job.id),
          ['c', 'a', 'b'],
        );
      });
    });

    it('moves a job through its lifecycle with times from the injected clock, refusing an illegal move', async () => {
      const clock = manualClock(100);
      await withStore(openStore, { clock }, async (store) => {
        await createTestJob(store);
        clock.set(200);
        await store.setJobState(JOB, 'running', { finishedAt: null });
        assert.equal((await store.getJob(JOB))?.updatedAt, 200);
        clock.set(300);
        await store.setJobState(JOB, 'finalizing', { activeMsDelta: 40 });
        await store.setJobState(JOB, 'completed', { finishedAt: 310 });
        const done = await store.getJob(JOB);
        assert.equal(done?.state, 'completed');
        assert.equal(done?.updatedAt, 300);
        assert.equal(done?.activeMs, 40);
        assert.equal(done?.finishedAt, 310);
        await assert.rejects(store.setJobState(JOB, 'finalizing'));
        assert.equal((await store.getJob(JOB))?.state, 'completed');
        // Resumed: running again, finishedAt kept unless given.
        await store.setJobState(JOB, 'running');
        assert.equal((await store.getJob(JOB))?.finishedAt, 310);
        assert.equal(await rejectionCode(store.setJobState('nope', 'running')), 'JOB_NOT_FOUND');
      });
    });

    it('replaces the config and the input mtime', async () => {
      const clock = manualClock(100);
      await withStore(openStore, { clock }, async (store) => {
        await createTestJob(store);
        clock.set(150);
        await store.setJobConfig(JOB, { concurrency: 8, mode: 'batch' });
        await store.setInputMtime(JOB, 99);
        const job = await store.getJob(JOB);
        assert.deepEqual(job?.config, { concurrency: 8, mode: 'batch' });
        assert.equal(job?.updatedAt, 150);
        assert.equal(job?.inputFingerprint.mtimeMs, 99);
      });
    });

    it('keeps the first cancel request until cleared; an unknown job is JOB_NOT_FOUND', async () => {
      await withStore(openStore, async (store) => {
        await createTestJob(store);
        await store.requestCancel(JOB, 12);
        await store.requestCancel(JOB, 20);
        assert.equal((await store.getJob(JOB))?.cancelRequestedAt, 12);
        await store.clearCancelRequest(JOB);
        assert.equal((await store.getJob(JOB))?.cancelRequestedAt, null);
        assert.equal(await rejectionCode(store.requestCancel('nope', 1)), 'JOB_NOT_FOUND');
      });
    });
  });

  describe('lease', () => {
    const host = hostname();

    it('refuses a second live holder with JOB_LOCKED; the same token takes it again', async () => {
      await withStore(openStore, { isProcessAlive: () => true }, async (store) => {
        await createTestJob(store);
        await store.acquireLease(JOB, { pid: 1, host, token: 'a', heartbeatAt: 1000 }, 15_000);
        assert.equal(
          await rejectionCode(store.acquireLease(JOB, { pid: 2, host, token: 'b', heartbeatAt: 2000 }, 15_000)),
          'JOB_LOCKED',
        );
        assert.equal((await store.getJob(JOB))?.lease?.token, 'a');
        await store.acquireLease(JOB, { pid: 1, host, token: 'a', heartbeatAt: 3000 }, 15_000);
        assert.deepEqual((await store.getJob(JOB))?.lease, { pid: 1, host, token: 'a', heartbeatAt: 3000 });
        assert.equal(
          await rejectionCode(store.acquireLease('nope', { pid: 1, host, token: 'a', heartbeatAt: 1 }, 15_000)),
          'JOB_NOT_FOUND',
        );
      });
    });

    it('is taken over from a holder whose heartbeat went stale, or whose pid is gone on this host', async () => {
      const dead = new Set<number>();
      await withStore(openStore, { isProcessAlive: (pid) => !dead.has(pid) }, async (store) => {
        await createTestJob(store);
        await store.acquireLease(JOB, { pid: 1, host: 'elsewhere', token: 'a', heartbeatAt: 1000 }, 15_000);
        // Another host's holder: only its heartbeat tells; 14.999 s is live, 15 s stale.
        assert.equal(
          await rejectionCode(store.acquireLease(JOB, { pid: 2, host, token: 'b', heartbeatAt: 15_999 }, 15_000)),
          'JOB_LOCKED',
        );
        await store.acquireLease(JOB, { pid: 2, host, token: 'b', heartbeatAt: 16_000 }, 15_000);
        assert.equal((await store.getJob(JOB))?.lease?.token, 'b');
        // This host's holder whose pid is gone: taken over at once.
        dead.add(2);
        await store.acquireLease(JOB, { pid: 3, host, token: 'c', heartbeatAt: 16_001 }, 15_000);
        assert.equal((await store.getJob(JOB))?.lease?.token, 'c');
      });
    });

    it('heartbeats add active time only while running, capped per step, and only for the holding token', async () => {
      await withStore(openStore, { isProcessAlive: () => true }, async (store) => {
        await createTestJob(store);
        await store.acquireLease(JOB, { pid: 1, host, token: 'a', heartbeatAt: 1000 }, 15_000);
        await store.heartbeat(JOB, 'a', 2000, 15_000);
        assert.equal((await store.getJob(JOB))?.activeMs, 0);
        await store.setJobState(JOB, 'running');
        await store.heartbeat(JOB, 'a', 5000, 15_000);
        await store.heartbeat(JOB, 'a', 105_000, 15_000);
        await store.heartbeat(JOB, 'other', 200_000, 15_000);
        const job = await store.getJob(JOB);
        assert.equal(job?.activeMs, 3000 + 15_000);
        assert.equal(job?.lease?.heartbeatAt, 105_000);
      });
    });

    it('is released only by its token', async () => {
      await withStore(openStore, { isProcessAlive: () => true }, async (store) => {
        await createTestJob(store);
        await store.acquireLease(JOB, { pid: 1, host, token: 'a', heartbeatAt: 1000 }, 15_000);
        await store.releaseLease(JOB, 'b');
        assert.equal((await store.getJob(JOB))?.lease?.token, 'a');
        await store.releaseLease(JOB, 'a');
        assert.equal((await store.getJob(JOB))?.lease, null);
        await store.acquireLease(JOB, { pid: 2, host, token: 'b', heartbeatAt: 1001 }, 15_000);
        assert.equal((await store.getJob(JOB))?.lease?.token, 'b');
      });
    });
  });
}
