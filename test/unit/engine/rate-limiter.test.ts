import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isOverloadStatus, RateLimiter } from '../../../src/engine/rate-limiter.ts';
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

/** A seeded PRNG (mulberry32), so a failure can be replayed from the seed in its message. */
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

/**
 * Drives a limiter on a fake clock, 1 ms per step: a pool of `concurrency` requests, each
 * answered `latencyMs` after it was sent by `answer(now)`. Returns what was sent and how.
 */
function drive(options: {
  limiter: RateLimiter;
  clock: { now: number };
  concurrency: number;
  latencyMs: number;
  durationMs: number;
  /** `latencyMs` of an answer overrides the pool's (a 429 often comes back at once). */
  answer: (now: number) => { status: 200 | 429 | 503; retryAfterMs?: number; latencyMs?: number };
}): {
  sent: number;
  succeeded: number;
  overloaded: number;
  refusals: number;
  succeededAfter: (ms: number) => number;
  overloadedAfter: (ms: number) => number;
} {
  const { limiter, clock } = options;
  const inFlight: { sentAt: number; dueAt: number; status: number; retryAfterMs?: number }[] = [];
  const successTimes: number[] = [];
  const overloadTimes: number[] = [];
  let sent = 0;
  let refusals = 0;
  const end = clock.now + options.durationMs;
  for (; clock.now < end; clock.now += 1) {
    for (let index = inFlight.length - 1; index >= 0; index -= 1) {
      const request = inFlight[index]!;
      if (request.dueAt > clock.now) continue;
      inFlight.splice(index, 1);
      if (request.status === 200) {
        limiter.recordSuccess(request.sentAt);
        successTimes.push(clock.now);
      } else {
        overloadTimes.push(clock.now);
        limiter.recordOverloaded(request.sentAt, request.retryAfterMs);
      }
    }
    while (inFlight.length < options.concurrency) {
      if (limiter.tryAcquire(0) > 0) {
        refusals += 1;
        break;
      }
      sent += 1;
      const { latencyMs = options.latencyMs, ...answer } = options.answer(clock.now);
      inFlight.push({ sentAt: clock.now, dueAt: clock.now + latencyMs, ...answer });
    }
  }
  return {
    sent,
    succeeded: successTimes.length,
    overloaded: overloadTimes.length,
    refusals,
    succeededAfter: (ms) => successTimes.filter((time) => time >= ms).length,
    overloadedAfter: (ms) => overloadTimes.filter((time) => time >= ms).length,
  };
}

describe('RateLimiter: configured limits', () => {
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
});

describe('RateLimiter: overload answers', () => {
  it('counts 429, 503 and 529 as overload, nothing else', () => {
    assert.deepEqual(
      [429, 503, 529, 500, 502, 408, undefined].map((status) => isOverloadStatus(status)),
      [true, true, true, false, false, false, false],
    );
  });

  for (const seed of [1, 2, 3]) {
    it(`scattered 429s and 503s (3%, retry-after 1 s) never hold the pool back (seed ${String(seed)})`, () => {
      const random = seededRandom(seed);
      const clock = { now: 0 };
      const limiter = new RateLimiter({ rpm: 0, tpm: 0, now: () => clock.now });
      const result = drive({
        limiter,
        clock,
        concurrency: 32,
        latencyMs: 40,
        durationMs: 20_000,
        answer: () => {
          const draw = random();
          if (draw < 0.02) return { status: 429, retryAfterMs: 1000 };
          if (draw < 0.03) return { status: 503 };
          return { status: 200 };
        },
      });
      const context = `seed ${String(seed)}: ${JSON.stringify(result)}`;
      assert.ok(result.overloaded > 300, context);
      assert.equal(result.refusals, 0, `the limiter refused a send; ${context}`);
      assert.equal(limiter.learnedRate, null, context);
    });
  }

  it('finds a binding limit and holds it (all but 100 req/s answered 429), wasting few requests', () => {
    const clock = { now: 0 };
    const limiter = new RateLimiter({ rpm: 0, tpm: 0, now: () => clock.now });
    // The server: a bucket of 100 requests refilled at 100/s, like the simulator's --rpm 6000.
    const server = new TokenBucket(100, 1, 0);
    const result = drive({
      limiter,
      clock,
      concurrency: 32,
      latencyMs: 2,
      durationMs: 60_000,
      answer: (now) => {
        const wait = server.take(1, now);
        return wait === 0 ? { status: 200 } : { status: 429, retryAfterMs: wait };
      },
    });
    const steady = result.succeededAfter(10_000) / 50;
    const steadyOverloaded = result.overloadedAfter(10_000);
    const context = JSON.stringify({ ...result, steady, steadyOverloaded, learned: limiter.learnedRate });
    assert.ok(steady >= 92 && steady <= 101, `steady throughput ${String(steady)}/s; ${context}`);
    // Finding the limit from an unbounded start costs a few hundred 429s; holding it, few.
    assert.ok(steadyOverloaded < steady * 50 * 0.1, `too many 429s once found; ${context}`);
    const learned = limiter.learnedRate;
    assert.ok(learned !== null && learned > 80 && learned < 120, context);
  });

  it('finds a binding limit behind a long latency, where 429s come back at once', () => {
    const clock = { now: 0 };
    const limiter = new RateLimiter({ rpm: 0, tpm: 0, now: () => clock.now });
    // 10 requests/s, answered in 2 s; the 429s in 20 ms: a burst's own successes are not back yet when it is judged.
    const server = new TokenBucket(10, 1, 0);
    const result = drive({
      limiter,
      clock,
      concurrency: 64,
      latencyMs: 2000,
      durationMs: 120_000,
      answer: (now) => {
        const wait = server.take(1, now);
        return wait === 0 ? { status: 200 } : { status: 429, retryAfterMs: wait, latencyMs: 20 };
      },
    });
    const steady = result.succeededAfter(30_000) / 90;
    const steadyOverloaded = result.overloadedAfter(30_000);
    const context = JSON.stringify({ ...result, steady, steadyOverloaded, learned: limiter.learnedRate });
    assert.ok(steady >= 9.2 && steady <= 10.1, `steady throughput ${String(steady)}/s; ${context}`);
    // AIMD probes up to the 10% burst share before each cut: about one request in ten meets a 429.
    assert.ok(steadyOverloaded < steady * 90 * 0.15, `too many 429s once found; ${context}`);
  });

  it('finds a concurrency limit answered 503 and holds it', () => {
    const clock = { now: 0 };
    const limiter = new RateLimiter({ rpm: 0, tpm: 0, now: () => clock.now });
    // The server takes 8 requests at once, 20 ms each (400 req/s); the client would send 32.
    let busy: number[] = [];
    const result = drive({
      limiter,
      clock,
      concurrency: 32,
      latencyMs: 20,
      durationMs: 30_000,
      answer: (now) => {
        busy = busy.filter((until) => until > now);
        if (busy.length >= 8) return { status: 503 };
        busy.push(now + 20);
        return { status: 200 };
      },
    });
    const steady = result.succeededAfter(5000) / 25;
    const steadyOverloaded = result.overloadedAfter(5000);
    const context = JSON.stringify({ ...result, steady, steadyOverloaded, learned: limiter.learnedRate });
    assert.ok(steady >= 340 && steady <= 400, `steady throughput ${String(steady)}/s; ${context}`);
    assert.ok(steadyOverloaded < steady * 25 * 0.1, `too many 503s once found; ${context}`);
  });

  it('cuts once per burst, holds for its retry-after, grows back and forgets', () => {
    let now = 0;
    const limiter = new RateLimiter({ rpm: 0, tpm: 0, now: () => now });
    for (; now < 1000; now += 10) {
      assert.equal(limiter.tryAcquire(0), 0);
      limiter.recordSuccess(now);
    }
    // 100 req/s succeeded over the last second; now a burst: 15 of the next 20 answers are 429.
    for (let index = 0; index < 5; index += 1) limiter.recordSuccess(now - 5);
    for (let index = 0; index < 15; index += 1) limiter.recordOverloaded(now - 5, 300);
    const learned = limiter.learnedRate;
    assert.ok(learned !== null && learned >= 80 && learned <= 100, `learned ${String(learned)}`);
    assert.equal(limiter.tryAcquire(0), 300, 'held for the burst retry-after');
    // 429s of requests sent before the cut are the same burst: no second cut.
    for (let index = 0; index < 20; index += 1) limiter.recordOverloaded(now - 1, 300);
    assert.equal(limiter.learnedRate, learned);
    now += 300;
    assert.equal(limiter.tryAcquire(0), 0);
    now += 4000;
    limiter.tryAcquire(0);
    limiter.tryAcquire(0);
    const grown = limiter.learnedRate;
    assert.ok(grown !== null && grown > learned * 1.15, `grew from ${String(learned)} to ${String(grown)}`);
    now += 30_000;
    limiter.tryAcquire(0);
    assert.equal(limiter.learnedRate, null);
  });

  it('a burst where nothing succeeds holds the pool for its retry-after but learns no rate', () => {
    let now = 0;
    const limiter = new RateLimiter({ rpm: 0, tpm: 0, now: () => now });
    now = 500;
    for (let index = 0; index < 10; index += 1) limiter.recordOverloaded(now - 10, 20_000);
    assert.equal(limiter.learnedRate, null);
    assert.equal(limiter.tryAcquire(0), 20_000);
  });
});

describe('RateLimiter: server hints', () => {
  it('paces at the refill rate once less than a second of it is left, not before', () => {
    let now = 0;
    const limiter = new RateLimiter({ rpm: 0, tpm: 0, now: () => now });
    // OpenAI-style: 6,000 rpm, plenty left.
    limiter.recordSuccess(0, { limitRequests: 6000, remainingRequests: 5000, resetRequestsMs: 10_000 });
    assert.equal(limiter.learnedRate, null);
    for (let index = 0; index < 50; index += 1) assert.equal(limiter.tryAcquire(0), 0);
    // Nearly empty: 10 left of a refill of 100/s.
    limiter.recordSuccess(0, { limitRequests: 6000, remainingRequests: 10, resetRequestsMs: 59_900 });
    const paced = limiter.learnedRate;
    assert.ok(paced !== null && paced > 85 && paced < 100, `paced at ${String(paced)}`);
    let admitted = 0;
    for (; now < 1000; now += 1) if (limiter.tryAcquire(0) === 0) admitted += 1;
    assert.ok(admitted >= 85 && admitted <= 100, `admitted ${String(admitted)} in 1 s`);
    // The hint lapses at its reset time.
    now = 61_000;
    assert.equal(limiter.learnedRate, null);
  });

  it('paces by tokens, converted with the tokens answers used', () => {
    const now = 0;
    const limiter = new RateLimiter({ rpm: 0, tpm: 0, now: () => now });
    // 60,000 tpm = 1,000 tokens/s; 100 left; answers use 100 tokens: about 10 requests/s.
    limiter.recordSuccess(0, { limitTokens: 60_000, remainingTokens: 100, resetTokensMs: 59_900 }, 100);
    const paced = limiter.learnedRate;
    assert.ok(paced !== null && paced > 8.5 && paced < 10.5, `paced at ${String(paced)}`);
  });
});
