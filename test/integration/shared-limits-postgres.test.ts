import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { SharedBudget } from '../../src/engine/shared-budget.ts';
import { SharedRateLimiter } from '../../src/engine/shared-rate-limiter.ts';
import { createPostgresStore } from '../../src/store/create-store.ts';
import type { SharedLimitsStore, Store } from '../../src/store/store.ts';
import { systemClock } from '../../src/util/clock.ts';
import { startPostgres, type PostgresHandle } from '../helpers/start-postgres.ts';
import { createTestJob, JOB } from '../store-conformance/store-fixtures.ts';

/**
 * Three workers (three stores, three pools, as three processes would have) sharing one job's limits in a real
 * PostgreSQL (docs/decisions/0032). Real time: the totals are asserted with margins that a busy machine cannot
 * break (an upper bound that holds by construction, a lower bound well under the rate), never a timing.
 */
describe('limits shared by three workers in PostgreSQL', () => {
  let server: PostgresHandle;
  let databases = 0;
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server.stop();
  });

  async function withWorkers(test: (stores: (Store & SharedLimitsStore)[]) => Promise<void>): Promise<void> {
    databases += 1;
    const url = await server.createDatabase(`shared_limits_${String(databases)}`);
    const stores = [0, 1, 2].map(() => createPostgresStore({ url }));
    try {
      await createTestJob(stores[0]!);
      await test(stores);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  }

  /** Each limiter asks whenever it was not told to wait, until `durationMs` has passed; returns what each was granted. */
  async function send(limiters: SharedRateLimiter[], durationMs: number): Promise<number[]> {
    const end = Date.now() + durationMs;
    return Promise.all(
      limiters.map(async (limiter) => {
        let granted = 0;
        while (Date.now() < end) {
          const wait = limiter.tryAcquire(0);
          if (wait === 0) granted += 1;
          else await sleep(Math.min(wait, Math.max(1, end - Date.now())));
        }
        return granted;
      }),
    );
  }

  it('holds three workers at 600 rpm to 10 requests a second together', async (t) => {
    await withWorkers(async (stores) => {
      const limiters = stores.map(
        (store) => new SharedRateLimiter({ jobId: JOB, store, rpm: 600, tpm: 0, clock: systemClock }),
      );
      const startedAt = Date.now();
      const granted = await send(limiters, 3_000);
      const seconds = (Date.now() - startedAt) / 1000;
      await Promise.all(limiters.map((limiter) => limiter.close()));
      const total = granted.reduce((sum, count) => sum + count, 0);
      const context = JSON.stringify({ granted, total, seconds });
      t.diagnostic(context);
      // Every grant came from the bucket between the first take and the last, both within `seconds` of wall time:
      // at most its capacity (0.2 s of the rate: 2) plus 10/s, whatever the machine's load.
      assert.ok(total <= 2 + 10 * seconds, context);
      // At least most of the rate: the takes are a few ms each; 80 % leaves room for a machine busy with other tests.
      assert.ok(total >= 0.8 * 10 * 3, context);
      assert.ok(
        granted.every((count) => count >= 3),
        `each worker gets a share: ${context}`,
      );
    });
  });

  it('holds every worker while a pause one of them wrote lasts', async () => {
    await withWorkers(async (stores) => {
      const [first, ...others] = stores.map(
        (store) => new SharedRateLimiter({ jobId: JOB, store, rpm: 600, tpm: 0, clock: systemClock }),
      );
      assert.ok(first !== undefined);
      // A burst of overload answers on the first worker: its adaptive limit holds sending for the retry-after, 3 s,
      // and writes it as the job's pause. The burst needs an epoch at least 200 ms old.
      await sleep(250);
      for (let index = 0; index < 6; index += 1) first.recordOverloaded(Date.now() - 10, 3_000);
      await first.whenSettled();
      const pausedAt = Date.now();
      // Each other worker learns of it with its next take: whatever its stash held first (none: nothing was taken).
      const waits = await Promise.all(
        others.map(async (limiter) => {
          limiter.tryAcquire(0);
          await limiter.whenSettled();
          return limiter.tryAcquire(0);
        }),
      );
      const left = 3_000 - (Date.now() - pausedAt);
      assert.ok(
        waits.every((wait) => wait > left - 100 && wait <= 3_000),
        JSON.stringify({ waits, left }),
      );
      await Promise.all([first, ...others].map((limiter) => limiter.close()));
    });
  });

  it('keeps three workers spending together within the budget and what answers cost above their estimates', async (t) => {
    await withWorkers(async (stores) => {
      const limitUsd = 0.5;
      const estimateUsd = 0.01;
      const concurrency = 4;
      let overEstimateUsd = 0;
      let answers = 0;
      const budgets = stores.map(
        (store) => new SharedBudget({ jobId: JOB, store, limitUsd, spentBeforeUsd: 0.1, clock: systemClock }),
      );
      // Each worker keeps `concurrency` requests out, each answered 5-15 ms later at 0.5 to 1.5 x its estimate.
      let costIndex = 0;
      const costOf = (): number => estimateUsd * (0.5 + ((costIndex++ * 0.37) % 1));
      await Promise.all(
        budgets.map(async (budget) => {
          const lane = async (): Promise<void> => {
            for (;;) {
              const admission = budget.admit(estimateUsd);
              if (admission.kind === 'reached') return;
              if (admission.kind === 'wait') {
                await sleep(admission.ms);
                continue;
              }
              await sleep(5 + (costIndex % 10));
              const actualUsd = costOf();
              overEstimateUsd += Math.max(0, actualUsd - estimateUsd);
              answers += 1;
              budget.settle(estimateUsd, actualUsd);
            }
          };
          await Promise.all(Array.from({ length: concurrency }, lane));
        }),
      );
      await Promise.all(budgets.map((budget) => budget.close()));
      const { spentUsd, reservedUsd } = await stores[0]!.budgetState(JOB);
      const context = JSON.stringify({ spentUsd, reservedUsd, overEstimateUsd, answers });
      t.diagnostic(context);
      assert.ok(Math.abs(reservedUsd) < 1e-9, `every reservation ended: ${context}`);
      assert.ok(spentUsd <= limitUsd + overEstimateUsd + 1e-9, context);
      // The brief's bound, looser: the limit plus every worker's in-flight estimates.
      assert.ok(spentUsd <= limitUsd + 3 * concurrency * estimateUsd, context);
      assert.ok(spentUsd >= 0.1 + (limitUsd - 0.1) * 0.8, `the budget was used, not held back: ${context}`);
    });
  });
});
