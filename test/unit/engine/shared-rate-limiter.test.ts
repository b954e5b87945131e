import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SharedRateLimiter } from '../../../src/engine/shared-rate-limiter.ts';
import { FakeSharedLimits } from './fake-shared-limits.ts';

/** A seeded PRNG (mulberry32): the jitter of every run is the same. */
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

/** The jitter every test but the first uses. */
const random = seededRandom(7);

/** A clock the test moves; the fake store reads the same one (the database's clock). */
function fakeClock(start = 1_000): { now: () => number; advance: (ms: number) => void } {
  let now = start;
  return { now: () => now, advance: (ms) => (now += ms) };
}

/**
 * Drives limiters on a fake clock, 1 ms per step: each asks for one request per step whenever it was not told to
 * wait, and counts what it was granted. Background takes are awaited each step, so the order is the same every run.
 */
async function drive(
  limiters: SharedRateLimiter[],
  clock: { advance: (ms: number) => void },
  durationMs: number,
  tokens = 0,
): Promise<number[]> {
  const granted = limiters.map(() => 0);
  const waitUntil = limiters.map(() => 0);
  for (let step = 0; step < durationMs; step += 1) {
    for (const [index, limiter] of limiters.entries()) {
      if (step < (waitUntil[index] ?? 0)) continue;
      const wait = limiter.tryAcquire(tokens);
      if (wait === 0) granted[index] = (granted[index] ?? 0) + 1;
      else waitUntil[index] = step + wait;
    }
    await Promise.all(limiters.map((limiter) => limiter.whenSettled()));
    clock.advance(1);
  }
  return granted;
}

describe('SharedRateLimiter', () => {
  it('holds three workers on one bucket to the configured rpm together', async () => {
    const clock = fakeClock();
    const store = new FakeSharedLimits(clock.now);
    const limiters = Array.from(
      { length: 3 },
      (_, index) =>
        new SharedRateLimiter({ jobId: 'j', store, rpm: 600, tpm: 0, clock, random: seededRandom(index + 1) }),
    );
    const granted = await drive(limiters, clock, 3_000);
    const total = granted.reduce((sum, count) => sum + count, 0);
    // 10/s for 3 s, plus the bucket's capacity at the start (0.2 s of the rate = 2); a stash may still hold 1-2.
    assert.ok(total >= 30 && total <= 32, JSON.stringify({ granted, total }));
    assert.ok(
      granted.every((count) => count >= 5),
      `every worker gets a share: ${JSON.stringify(granted)}`,
    );
    // A take asks for 150 ms of the rate (2 requests); starved workers ask again every 200 ms (jittered) each.
    assert.ok(store.calls.takeTokens <= total * 2, JSON.stringify({ calls: store.calls, total }));
    await Promise.all(limiters.map((limiter) => limiter.close()));
  });

  it('takes a handful at a time when the bucket is not the limit', async () => {
    const clock = fakeClock();
    const store = new FakeSharedLimits(clock.now);
    const limiter = new SharedRateLimiter({ jobId: 'j', store, rpm: 60_000, tpm: 0, clock, random });
    const [granted = 0] = await drive([limiter], clock, 200);
    // 1000/s: a take asks for 150 of them, so 200 requests in 200 ms cost a couple of statements.
    assert.ok(granted >= 150, String(granted));
    assert.ok(store.calls.takeTokens <= 5, JSON.stringify(store.calls));
    await limiter.close();
  });

  it('holds every worker while one of them has set a pause after a burst of 429s', async () => {
    const clock = fakeClock();
    const store = new FakeSharedLimits(clock.now);
    const [first, second] = [0, 1].map(
      () => new SharedRateLimiter({ jobId: 'j', store, rpm: 600, tpm: 0, clock, random }),
    );
    assert.ok(first !== undefined && second !== undefined);
    await drive([first, second], clock, 300);
    // A burst: at least 4 overload answers and 10 % of the window's outcomes, in an epoch at least 200 ms old.
    for (let index = 0; index < 6; index += 1) first.recordOverloaded(clock.now() - 10, 5_000);
    await first.whenSettled();
    assert.equal(store.calls.pauseSending, 1);
    clock.advance(200);
    // The other worker learns of it with its next take: its stash may hold one request, then it waits.
    let wait = 0;
    for (let tries = 0; tries < 5 && wait < 1_000; tries += 1) {
      wait = second.tryAcquire(0);
      await second.whenSettled();
      if (wait > 0 && wait < 1_000) clock.advance(wait);
    }
    assert.ok(wait > 4_000 && wait <= 5_000, `the second worker waits out the pause: ${String(wait)}`);
    clock.advance(wait);
    const after = await drive([second], clock, 500);
    assert.ok((after[0] ?? 0) >= 3, `and sends again after it: ${JSON.stringify(after)}`);
  });

  it('reads the pause on its own when no rpm or tpm is configured', async () => {
    const clock = fakeClock();
    const store = new FakeSharedLimits(clock.now);
    const limiter = new SharedRateLimiter({ jobId: 'j', store, rpm: 0, tpm: 0, clock, random });
    const [granted = 0] = await drive([limiter], clock, 1_000);
    assert.equal(granted, 1_000, 'no limit: every step sends');
    assert.ok(store.calls.sendingPause <= 5, JSON.stringify(store.calls));
    await store.pauseSending('j', 2_000);
    clock.advance(300);
    limiter.tryAcquire(0);
    await limiter.whenSettled();
    assert.ok(limiter.tryAcquire(0) > 1_000);
  });

  it('survives a store that fails: retries, tells onError, waits, and sends again once it is back', async () => {
    const clock = fakeClock();
    const store = new FakeSharedLimits(clock.now);
    const errors: unknown[] = [];
    const limiter = new SharedRateLimiter({
      jobId: 'j',
      store,
      rpm: 600,
      tpm: 0,
      clock,
      retryDelaysMs: [0, 0],
      random,
      onError: (error) => errors.push(error),
    });
    store.failing = 3;
    assert.ok(limiter.tryAcquire(0) > 0);
    await limiter.whenSettled();
    assert.equal(errors.length, 1, 'one report after the first try and its two retries');
    assert.equal((limiter.error as { code?: string }).code, 'STORE_UNREACHABLE');
    assert.ok(limiter.tryAcquire(0) >= 500, 'sending waits while the store is down');
    const [granted = 0] = await drive([limiter], clock, 2_000);
    assert.ok(granted >= 10, String(granted));
    assert.equal(limiter.error, undefined);
  });

  it('charges tokens from the tpm bucket and corrects them with usage', async () => {
    const clock = fakeClock();
    const store = new FakeSharedLimits(clock.now);
    const limiter = new SharedRateLimiter({ jobId: 'j', store, rpm: 0, tpm: 60_000, clock, random });
    assert.equal(limiter.tracksTokens, true);
    // 1000 tokens/s, capacity 1000: requests of 100 tokens go 10 per second once the bucket is spent, 30 in 2 s;
    // the last take may come up to 225 ms (a jittered 150) before the end, so 27 at least.
    const [granted = 0] = await drive([limiter], clock, 2_000, 100);
    assert.ok(granted >= 27 && granted <= 30, String(granted));
    limiter.settleTokens(100, 500);
    assert.ok(limiter.tryAcquire(100) > 0, 'an answer that used more than its estimate leaves the stash in debt');
    await limiter.close();
  });

  it('gives the stash back on close', async () => {
    const clock = fakeClock();
    const store = new FakeSharedLimits(clock.now);
    const limiter = new SharedRateLimiter({ jobId: 'j', store, rpm: 6_000, tpm: 0, clock, random });
    limiter.tryAcquire(0);
    await limiter.whenSettled();
    assert.equal(limiter.tryAcquire(0), 0);
    const level = store.level('requests');
    await limiter.close();
    // A take asked for 15 (150 ms at 100/s); one was sent, 14 go back.
    assert.equal(store.level('requests'), level + 14);
    assert.equal(store.calls.giveBackTokens, 1);
  });
});
