import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SharedBudget } from '../../../src/engine/shared-budget.ts';
import { FakeSharedLimits } from './fake-shared-limits.ts';

/** A seeded PRNG (mulberry32): every run of a test draws the same costs. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function fakeClock(start = 1_000): { now: () => number; advance: (ms: number) => void } {
  let now = start;
  return { now: () => now, advance: (ms) => (now += ms) };
}

/**
 * Workers on one fake store, 1 ms per step: each keeps up to `concurrency` requests of `estimateUsd` out for
 * `latencyMs`, every answer costing 0.5 to 1.5 x its estimate (so some pass it), until its budget says reached.
 * Checks after every step that the store's spent + reserved stays within the limit plus what answers settled so far
 * cost above their estimates. Returns the totals.
 */
async function drive(options: {
  budgets: SharedBudget[];
  store: FakeSharedLimits;
  clock: { now: () => number; advance: (ms: number) => void };
  limitUsd: number;
  concurrency: number;
  estimateUsd: number;
  latencyMs: number;
  seed: number;
}): Promise<{ answers: number; overEstimateUsd: number; maxInFlight: number }> {
  const { budgets, store, clock } = options;
  const random = seededRandom(options.seed);
  const out = budgets.map(() => [] as { dueAt: number; actualUsd: number }[]);
  let answers = 0;
  let overEstimateUsd = 0;
  let maxInFlight = 0;
  const waitUntil = budgets.map(() => 0);
  for (let step = 0; step < 60_000; step += 1) {
    for (const [index, budget] of budgets.entries()) {
      const requests = out[index] ?? [];
      for (const request of requests.filter((waiting) => waiting.dueAt <= clock.now())) {
        budget.settle(options.estimateUsd, request.actualUsd);
        overEstimateUsd += Math.max(0, request.actualUsd - options.estimateUsd);
        answers += 1;
      }
      out[index] = requests.filter((waiting) => waiting.dueAt > clock.now());
      while (!budget.isReached && (out[index]?.length ?? 0) < options.concurrency && step >= (waitUntil[index] ?? 0)) {
        const admission = budget.admit(options.estimateUsd);
        if (admission.kind === 'wait') waitUntil[index] = step + admission.ms;
        if (admission.kind !== 'reserved') break;
        out[index]?.push({ dueAt: clock.now() + options.latencyMs, actualUsd: options.estimateUsd * (0.5 + random()) });
      }
    }
    maxInFlight = Math.max(
      maxInFlight,
      out.reduce((sum, requests) => sum + requests.length, 0),
    );
    await Promise.all(budgets.map((budget) => budget.whenSettled()));
    const state = await store.budgetState();
    assert.ok(
      state.spentUsd + state.reservedUsd <= options.limitUsd + overEstimateUsd + 1e-9,
      JSON.stringify({ step, state, overEstimateUsd }),
    );
    if (budgets.every((budget, index) => budget.isReached && (out[index]?.length ?? 0) === 0)) break;
    clock.advance(1);
  }
  return { answers, overEstimateUsd, maxInFlight };
}

describe('SharedBudget', () => {
  it('holds three workers together within the limit plus what answers cost above their estimates', async () => {
    const clock = fakeClock();
    const store = new FakeSharedLimits(clock.now);
    const limitUsd = 1;
    const budgets = Array.from(
      { length: 3 },
      () => new SharedBudget({ jobId: 'j', store, limitUsd, spentBeforeUsd: 0, clock }),
    );
    const result = await drive({
      budgets,
      store,
      clock,
      limitUsd,
      concurrency: 4,
      estimateUsd: 0.01,
      latencyMs: 20,
      seed: 1,
    });
    await Promise.all(budgets.map((budget) => budget.close()));
    const { spentUsd, reservedUsd } = await store.budgetState();
    const context = JSON.stringify({ ...result, spentUsd, reservedUsd, calls: store.calls });
    assert.ok(Math.abs(reservedUsd) < 1e-9, `every reservation ended: ${context}`);
    assert.ok(spentUsd <= limitUsd + result.overEstimateUsd + 1e-9, context);
    // The brief's bound, looser: the limit plus every worker's in-flight estimates (3 x 4 x $0.01).
    assert.ok(spentUsd <= limitUsd + 3 * 4 * 0.01, context);
    // Used, not held back: each worker stops at its first short draw, which leaves at most what the others' answers
    // came in under their estimates and the last allowances (a few requests each).
    assert.ok(spentUsd >= limitUsd * 0.8, context);
    // Allowances of 4 requests and settlements of up to 32: far fewer statements than requests.
    assert.ok(store.calls.reserve + store.calls.settle <= result.answers, context);
  });

  it('seeds what earlier runs spent with the first draw', async () => {
    const clock = fakeClock();
    const store = new FakeSharedLimits(clock.now);
    const budget = new SharedBudget({ jobId: 'j', store, limitUsd: 1, spentBeforeUsd: 0.97, clock });
    const admitted: string[] = [];
    for (let tries = 0; tries < 10; tries += 1) {
      const admission = budget.admit(0.01);
      admitted.push(admission.kind);
      if (admission.kind === 'reached') break;
      await budget.whenSettled();
    }
    // wait (the first draw), 3 x reserved, then the short draw and reached.
    assert.equal(admitted.filter((kind) => kind === 'reserved').length, 3, admitted.join());
    assert.equal(admitted.at(-1), 'reached');
    assert.equal(budget.admit(0).kind, 'reached', 'from then on, whatever the cost');
    await budget.close();
  });

  it('gives an unsent request back to the allowance, with no statement', async () => {
    const clock = fakeClock();
    const store = new FakeSharedLimits(clock.now);
    const budget = new SharedBudget({ jobId: 'j', store, limitUsd: 1, spentBeforeUsd: 0, clock });
    budget.admit(0.1);
    await budget.whenSettled();
    assert.equal(budget.admit(0.1).kind, 'reserved');
    budget.release(0.1);
    for (let index = 0; index < 4; index += 1) assert.equal(budget.admit(0.1).kind, 'reserved');
    assert.equal(store.calls.reserve, 1);
    await budget.close();
    assert.deepEqual(await store.budgetState(), { spentUsd: 0, reservedUsd: 0.4 });
  });

  it('settles answers in batches and gives the rest of the allowance back on close', async () => {
    const clock = fakeClock();
    const store = new FakeSharedLimits(clock.now);
    const budget = new SharedBudget({ jobId: 'j', store, limitUsd: 10, spentBeforeUsd: 0, clock, settleBatch: 3 });
    budget.admit(0.5);
    await budget.whenSettled();
    for (let index = 0; index < 4; index += 1) assert.equal(budget.admit(0.5).kind, 'reserved');
    budget.settle(0.5, 0.25);
    budget.settle(0.5, 0.25);
    assert.equal(store.calls.settle, 0, 'two answers wait');
    budget.settle(0.5, 0.25);
    await budget.whenSettled();
    assert.equal(store.calls.settle, 1, 'the third settles all three');
    assert.deepEqual(await store.budgetState(), { spentUsd: 0.75, reservedUsd: 0.5 });
    clock.advance(300);
    budget.settle(0.5, 0.5);
    await budget.whenSettled();
    assert.equal(store.calls.settle, 2, 'an answer after settleEveryMs settles at once');
    await budget.close();
    assert.deepEqual(await store.budgetState(), { spentUsd: 1.25, reservedUsd: 0 });
  });

  it('waits while the store is down, tells onError, and goes on once it is back', async () => {
    const clock = fakeClock();
    const store = new FakeSharedLimits(clock.now);
    const errors: unknown[] = [];
    const budget = new SharedBudget({
      jobId: 'j',
      store,
      limitUsd: 1,
      spentBeforeUsd: 0,
      clock,
      retryDelaysMs: [0],
      onError: (error) => errors.push(error),
    });
    store.failing = 2;
    assert.equal(budget.admit(0.1).kind, 'wait');
    await budget.whenSettled();
    assert.equal(errors.length, 1);
    assert.equal((budget.error as { code?: string }).code, 'STORE_UNREACHABLE');
    assert.equal(budget.admit(0.1).kind, 'wait', 'not reached: the budget is unknown, not spent');
    await budget.whenSettled();
    assert.equal(budget.admit(0.1).kind, 'reserved');
    assert.equal(budget.error, undefined);
    await budget.close();
  });
});
