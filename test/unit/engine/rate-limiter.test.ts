import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimiter } from '../../../src/engine/rate-limiter.ts';
import { TokenBucket } from '../../../src/engine/token-bucket.ts';

describe('TokenBucket', () => {
  it('admits up to capacity, then says how long to wait', () => {
    const bucket = new TokenBucket(10, 1, 0);
    for (let index = 0; index < 10; index += 1) assert.equal(bucket.take(1, 0), 0);
    assert.equal(bucket.take(1, 0), 100);
    assert.equal(bucket.take(1, 100), 0);
  });

  it('lets a cost above capacity through when full, leaving debt', () => {
    const bucket = new TokenBucket(10, 1, 0);
    assert.equal(bucket.take(50, 0), 0);
    assert.ok(bucket.take(1, 0) > 0);
  });
});

describe('RateLimiter', () => {
  it('enforces rpm', () => {
    let now = 0;
    const limiter = new RateLimiter({ rpm: 600, tpm: 0, now: () => now });
    let admitted = 0;
    for (; now < 10_000; now += 1) if (limiter.tryAcquire(0) === 0) admitted += 1;
    assert.ok(admitted >= 99 && admitted <= 102, `admitted ${String(admitted)} in 10 s at 600 rpm`);
  });

  it('enforces tpm with estimates corrected after', () => {
    let now = 0;
    const limiter = new RateLimiter({ rpm: 0, tpm: 6000, now: () => now });
    assert.equal(limiter.tryAcquire(100), 0);
    assert.ok(limiter.tryAcquire(100) > 0);
    limiter.settleTokens(100, 10);
    assert.equal(limiter.tryAcquire(90), 0);
    now += 1000;
    assert.equal(limiter.tryAcquire(100), 0);
  });

  it('pauses on a 429 and learns a rate only from several', () => {
    let now = 0;
    const limiter = new RateLimiter({ rpm: 0, tpm: 0, now: () => now });
    for (; now < 2000; now += 10) {
      assert.equal(limiter.tryAcquire(0), 0);
      limiter.recordSuccess();
    }
    limiter.recordRateLimited(200);
    assert.equal(limiter.tryAcquire(0), 200);
    assert.equal(limiter.learnedRate, null);
    limiter.recordRateLimited(200);
    limiter.recordRateLimited(200);
    const learned = limiter.learnedRate;
    assert.ok(learned !== null && learned > 80 && learned < 100, `learned ${String(learned)}`);
    now += 40_000;
    limiter.tryAcquire(0);
    assert.equal(limiter.learnedRate, null);
  });
});
