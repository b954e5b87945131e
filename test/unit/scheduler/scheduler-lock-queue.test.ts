import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Job } from '../../../src/core/job.ts';
import { LEASE_STALE_MS } from '../../../src/engine/lease.ts';
import { StoreError } from '../../../src/errors/index.ts';
import { hasEndedSinceSubmitted } from '../../../src/scheduler/queued-job.ts';
import { createSchedulerStore } from '../../../src/store/create-store.ts';
import type { NewSchedulerLock, SchedulerStore } from '../../../src/store/scheduler-store.ts';

/** The scheduler's lock (one per workspace, lease semantics) and queue (submission order), on a temp SQLite file. */

describe('scheduler lock and queue', () => {
  let dir: string;
  const dead = new Set<number>();
  let store: SchedulerStore;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bp-scheduler-'));
    store = createSchedulerStore({ workspace: dir, isProcessAlive: (pid) => !dead.has(pid) });
  });

  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const lock = (pid: number, token: string, now: number): NewSchedulerLock => ({
    pid,
    host: hostname(),
    token,
    now,
    settings: { max_jobs: 2 },
  });

  it('refuses a second holder while the first lives, and hands over to the same token', async () => {
    await store.acquireLock(lock(101, 'first', 1000), LEASE_STALE_MS);
    await assert.rejects(
      store.acquireLock(lock(102, 'second', 2000), LEASE_STALE_MS),
      (error: unknown) =>
        error instanceof StoreError && error.code === 'SCHEDULER_RUNNING' && /101/.test(error.message),
    );
    // A `--detach` took the lock for the scheduler it spawned, which takes it over with the token.
    await store.acquireLock(lock(103, 'first', 3000), LEASE_STALE_MS);
    assert.equal(await store.setLockPid('first', 104), true);
    assert.equal(await store.setLockPid('other', 105), false);
    const held = await store.readLock();
    assert.deepEqual(
      { pid: held?.pid, startedAt: held?.startedAt, heartbeatAt: held?.heartbeatAt },
      { pid: 104, startedAt: 1000, heartbeatAt: 3000 },
    );
  });

  it('is taken over once its holder is dead or its heartbeat stale', async () => {
    dead.add(104);
    await store.acquireLock(lock(201, 'after-death', 4000), LEASE_STALE_MS);
    assert.equal(await store.heartbeatLock('first', 4500), undefined, 'the old holder learns it lost the lock');
    await store.acquireLock(lock(202, 'after-stale', 4000 + LEASE_STALE_MS), LEASE_STALE_MS);
    assert.equal((await store.readLock())?.pid, 202);
  });

  it('carries a stop request to the holder, and is gone once released', async () => {
    assert.equal((await store.heartbeatLock('after-stale', 50_000))?.stopRequestedAt, null);
    assert.equal(await store.requestStop(50_100), true);
    assert.equal((await store.heartbeatLock('after-stale', 50_200))?.stopRequestedAt, 50_100);
    await store.releaseLock('after-stale');
    assert.equal(await store.readLock(), undefined);
    assert.equal(await store.requestStop(50_300), false);
    await store.acquireLock(lock(301, 'fresh', 60_000), LEASE_STALE_MS);
    assert.equal((await store.readLock())?.stopRequestedAt, null, 'a new holder starts without the old request');
    await store.releaseLock('fresh');
  });

  it('keeps jobs in submission order; a new submission keeps the place and survives an older dequeue', async () => {
    await store.enqueue('b', 10);
    await store.enqueue('a', 20);
    await store.enqueue('b', 30);
    assert.deepEqual(
      (await store.listQueue()).map((entry) => [entry.jobId, entry.submittedAt]),
      [
        ['b', 30],
        ['a', 20],
      ],
    );
    // The run that started at 25 ended; the job was submitted again at 30, so it stays.
    await store.dequeue('b', 25);
    await store.dequeue('a', 25);
    assert.deepEqual(
      (await store.listQueue()).map((entry) => entry.jobId),
      ['b'],
    );
    await store.dequeue('b', 30);
    assert.deepEqual(await store.listQueue(), []);
  });

  it('is released for want of work only while nothing is queued', async () => {
    await store.acquireLock(lock(401, 'idle', 70_000), LEASE_STALE_MS);
    await store.enqueue('late', 70_100);
    assert.equal(await store.releaseLockIfIdle('idle'), false, 'a job queued meanwhile keeps the scheduler');
    assert.equal((await store.readLock())?.token, 'idle');
    await store.dequeue('late', 70_100);
    assert.equal(await store.releaseLockIfIdle('idle'), true);
    assert.equal(await store.readLock(), undefined);
  });
});

describe('hasEndedSinceSubmitted', () => {
  const job = (state: Job['state'], finishedAt: number | null): Job =>
    ({ id: 'j', state, finishedAt }) as unknown as Job;
  const entry = { jobId: 'j', position: 1, submittedAt: 100 };

  it('is true for a job that ended after its submission, whoever ran it', () => {
    for (const state of ['completed', 'failed', 'cancelled'] as const) {
      assert.equal(hasEndedSinceSubmitted(job(state, 150), entry), true, state);
    }
  });

  it('is false for a job to run (again): not ended, interrupted, or ended before it was submitted again', () => {
    assert.equal(hasEndedSinceSubmitted(job('created', null), entry), false);
    assert.equal(hasEndedSinceSubmitted(job('running', null), entry), false);
    assert.equal(hasEndedSinceSubmitted(job('interrupted', 150), entry), false);
    assert.equal(hasEndedSinceSubmitted(job('cancelled', 50), entry), false);
  });
});
