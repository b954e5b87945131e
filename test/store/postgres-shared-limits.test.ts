import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { createPostgresStore } from '../../src/store/create-store.ts';
import type { SharedLimitsStore, Store } from '../../src/store/store.ts';
import { startPostgres, type PostgresHandle } from '../helpers/start-postgres.ts';
import { createTestJob, JOB } from '../store-conformance/store-fixtures.ts';

/**
 * `SharedLimitsStore` on PostgreSQL (docs/decisions/0032), one statement at a time. Refill is measured by the
 * database's clock, which a test cannot stop: where time matters the bounds are wide (a refill over at least the
 * time slept, at most the capacity), never an exact figure.
 */
describe('PostgreSQL shared limits', () => {
  let server: PostgresHandle;
  let databases = 0;
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server.stop();
  });

  async function withStore(test: (store: Store & SharedLimitsStore) => Promise<void>): Promise<void> {
    databases += 1;
    const store = createPostgresStore({ url: await server.createDatabase(`limits_${String(databases)}`) });
    try {
      await createTestJob(store);
      await test(store);
    } finally {
      await store.close();
    }
  }

  /** A bucket of 5 refilled so slowly (one token per 100 s) that a busy machine's pauses do not show in a count. */
  const requests = (want: number) => ({ bucket: 'requests' as const, want, ratePerSec: 0.01, capacity: 5 });
  /** One refilled at 10 tokens/s. */
  const fast = (want: number) => ({ bucket: 'requests' as const, want, ratePerSec: 10, capacity: 5 });

  it('starts a bucket full, grants what is there, and nothing once it is empty', async () => {
    await withStore(async (store) => {
      assert.deepEqual(await store.takeTokens(JOB, requests(3)), { granted: 3, pausedForMs: null });
      const second = await store.takeTokens(JOB, requests(3));
      // 2 left, plus what refilled between the two statements (well under one token).
      assert.ok(second.granted >= 2 && second.granted < 3, JSON.stringify(second));
      const third = await store.takeTokens(JOB, requests(0));
      assert.equal(third.granted, 0);
    });
  });

  it('refills at the rate by the database clock, never past the capacity', async () => {
    await withStore(async (store) => {
      await store.takeTokens(JOB, fast(5));
      const sleptFrom = Date.now();
      await sleep(300);
      const slept = (Date.now() - sleptFrom) / 1000;
      const refilled = await store.takeTokens(JOB, fast(100));
      // At least the 300 ms slept (3 tokens at 10/s), at most the capacity however slow the machine is.
      assert.ok(refilled.granted >= 10 * 0.3 - 0.01 && refilled.granted <= 5, JSON.stringify({ refilled, slept }));
      await sleep(1000);
      assert.equal((await store.takeTokens(JOB, fast(100))).granted, 5, 'a full bucket holds its capacity');
    });
  });

  it('keeps the requests and tokens buckets of a job apart', async () => {
    await withStore(async (store) => {
      await store.takeTokens(JOB, requests(5));
      const tokens = await store.takeTokens(JOB, { bucket: 'tokens', want: 700, ratePerSec: 1000, capacity: 1000 });
      assert.equal(tokens.granted, 700);
    });
  });

  it('grants nothing while sending is paused, and tells every taker for how long', async () => {
    await withStore(async (store) => {
      assert.equal(await store.sendingPause(JOB), null);
      await store.pauseSending(JOB, 60_000);
      const paused = await store.takeTokens(JOB, requests(1));
      assert.equal(paused.granted, 0);
      assert.ok(paused.pausedForMs !== null && paused.pausedForMs > 50_000 && paused.pausedForMs <= 60_000);
      await store.pauseSending(JOB, 10);
      const still = await store.sendingPause(JOB);
      assert.ok(still !== null && still > 50_000, 'a shorter pause never shortens a longer one');
    });
  });

  it('lets sending go on once a pause is over', async () => {
    await withStore(async (store) => {
      await store.pauseSending(JOB, 100);
      await sleep(200);
      assert.equal(await store.sendingPause(JOB), null);
      assert.deepEqual(await store.takeTokens(JOB, requests(1)), { granted: 1, pausedForMs: null });
    });
  });

  it('gives tokens back up to the capacity', async () => {
    await withStore(async (store) => {
      await store.takeTokens(JOB, requests(5));
      await store.giveBackTokens(JOB, 'requests', 2);
      const back = await store.takeTokens(JOB, requests(100));
      assert.ok(back.granted >= 2 && back.granted < 3, JSON.stringify(back));
      await store.giveBackTokens(JOB, 'requests', 100);
      assert.ok((await store.takeTokens(JOB, requests(100))).granted <= 5);
    });
  });

  it('grants a budget up to its limit, seeded with what earlier runs spent', async () => {
    await withStore(async (store) => {
      assert.deepEqual(await store.budgetState(JOB), { spentUsd: 0, reservedUsd: 0 });
      const draw = { limitUsd: 10, spentBeforeUsd: 4 };
      assert.equal(await store.reserveBudget(JOB, { ...draw, wantUsd: 2 }), 2);
      assert.equal(await store.reserveBudget(JOB, { ...draw, wantUsd: 5 }), 4, 'only what keeps 4 + 6 within 10');
      assert.equal(await store.reserveBudget(JOB, { ...draw, wantUsd: 1 }), 0);
      assert.deepEqual(await store.budgetState(JOB), { spentUsd: 4, reservedUsd: 6 });
      await store.settleBudget(JOB, 3, 1.5);
      assert.deepEqual(await store.budgetState(JOB), { spentUsd: 5.5, reservedUsd: 3 });
      // Spent is the store's from now on: another seed is not read.
      assert.equal(await store.reserveBudget(JOB, { limitUsd: 10, spentBeforeUsd: 0, wantUsd: 5 }), 1.5);
    });
  });

  it('seeds the budget on the first reservation even when a pause made the row first', async () => {
    await withStore(async (store) => {
      await store.pauseSending(JOB, 1);
      assert.equal(await store.reserveBudget(JOB, { limitUsd: 10, spentBeforeUsd: 9, wantUsd: 5 }), 1);
      assert.deepEqual(await store.budgetState(JOB), { spentUsd: 9, reservedUsd: 1 });
    });
  });

  it('never grants past the limit to many reservations at once', async () => {
    await withStore(async (store) => {
      const grants = await Promise.all(
        Array.from({ length: 40 }, () => store.reserveBudget(JOB, { limitUsd: 1, spentBeforeUsd: 0, wantUsd: 0.1 })),
      );
      const total = grants.reduce((sum, grant) => sum + grant, 0);
      assert.ok(Math.abs(total - 1) < 1e-9, String(total));
      assert.ok(Math.abs((await store.budgetState(JOB)).reservedUsd - 1) < 1e-9);
    });
  });

  it('refuses a job that is not there with JOB_NOT_FOUND', async () => {
    await withStore(async (store) => {
      await assert.rejects(store.takeTokens('nope', requests(1)), { code: 'JOB_NOT_FOUND' });
      await assert.rejects(store.pauseSending('nope', 1), { code: 'JOB_NOT_FOUND' });
      await assert.rejects(store.reserveBudget('nope', { limitUsd: 1, spentBeforeUsd: 0, wantUsd: 1 }), {
        code: 'JOB_NOT_FOUND',
      });
    });
  });
});
