import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RpmLimiter, formatResetDuration } from '../../../src/simulator/index.ts';

function createClock(): { now: () => number; advance: (ms: number) => void } {
  let current = 1_000;
  return { now: () => current, advance: (ms) => (current += ms) };
}

describe('RpmLimiter', () => {
  it('allows one second of burst, then rejects with the wait until the next token', () => {
    const clock = createClock();
    const limiter = new RpmLimiter({ rpm: 120, now: clock.now });
    assert.equal(limiter.capacity, 2);
    assert.deepEqual(limiter.tryTake(), { ok: true, limit: 120, remaining: 1, resetMs: 500 });
    assert.equal(limiter.tryTake().ok, true);
    const rejected = limiter.tryTake();
    assert.equal(rejected.ok, false);
    assert.equal(rejected.ok === false && rejected.retryAfterMs, 500);
  });

  it('refills continuously and a rejected request takes no token', () => {
    const clock = createClock();
    const limiter = new RpmLimiter({ rpm: 60, now: clock.now });
    assert.equal(limiter.tryTake().ok, true);
    clock.advance(400);
    const first = limiter.tryTake();
    assert.equal(first.ok === false && first.retryAfterMs, 600);
    clock.advance(300);
    const second = limiter.tryTake();
    assert.equal(second.ok === false && second.retryAfterMs, 300);
    clock.advance(300);
    assert.equal(limiter.tryTake().ok, true);
  });

  it('keeps a capacity of 1 below 60 rpm', () => {
    const clock = createClock();
    const limiter = new RpmLimiter({ rpm: 6, now: clock.now });
    assert.equal(limiter.capacity, 1);
    assert.equal(limiter.tryTake().ok, true);
    const rejected = limiter.tryTake();
    assert.equal(rejected.ok === false && rejected.retryAfterMs, 10_000);
    clock.advance(10_000);
    assert.equal(limiter.tryTake().ok, true);
  });

  it('never refills past its capacity', () => {
    const clock = createClock();
    const limiter = new RpmLimiter({ rpm: 120, now: clock.now });
    clock.advance(60_000);
    assert.equal(limiter.tryTake().ok, true);
    assert.equal(limiter.tryTake().ok, true);
    assert.equal(limiter.tryTake().ok, false);
  });

  it('rejects an rpm of 0 or less', () => {
    assert.throws(() => new RpmLimiter({ rpm: 0 }), RangeError);
  });
});

describe('formatResetDuration', () => {
  it('writes durations as OpenAI does', () => {
    assert.equal(formatResetDuration(120), '120ms');
    assert.equal(formatResetDuration(0.2), '1ms');
    assert.equal(formatResetDuration(1500), '1.5s');
    assert.equal(formatResetDuration(360_000), '6m0s');
    assert.equal(formatResetDuration(61_250), '1m1.25s');
  });
});
