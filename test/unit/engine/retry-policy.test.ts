import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProviderFailureKind } from '../../../src/errors/index.ts';
import { backoffDelay, decideRetry, MAX_SERVER_RETRY_AFTER_MS } from '../../../src/engine/retry-policy.ts';
import { parseRetryAfter } from '../../../src/util/parse-retry-after.ts';

const settings = { maxAttempts: 4, baseDelayMs: 500, maxDelayMs: 60_000 };
const half = (): number => 0.5;

describe('decideRetry', () => {
  const table: [string, { kind: ProviderFailureKind; status?: number }, string][] = [
    ['408', { kind: 'http', status: 408 }, 'retry'],
    ['409', { kind: 'http', status: 409 }, 'retry'],
    ['429', { kind: 'http', status: 429 }, 'retry'],
    ['500', { kind: 'http', status: 500 }, 'retry'],
    ['502', { kind: 'http', status: 502 }, 'retry'],
    ['503', { kind: 'http', status: 503 }, 'retry'],
    ['504', { kind: 'http', status: 504 }, 'retry'],
    ['529', { kind: 'http', status: 529 }, 'retry'],
    ['599', { kind: 'http', status: 599 }, 'retry'],
    ['connection', { kind: 'connection' }, 'retry'],
    ['timeout', { kind: 'timeout' }, 'retry'],
    ['malformed', { kind: 'malformed', status: 200 }, 'retry'],
    ['400', { kind: 'http', status: 400 }, 'item'],
    ['404', { kind: 'http', status: 404 }, 'item'],
    ['422', { kind: 'http', status: 422 }, 'item'],
    ['401', { kind: 'http', status: 401 }, 'job'],
    ['403', { kind: 'http', status: 403 }, 'job'],
    ['aborted', { kind: 'aborted' }, 'abort'],
    ['response_too_large', { kind: 'response_too_large', status: 200 }, 'item'],
  ];
  for (const [name, error, expected] of table) {
    it(`${name} -> ${expected}`, () => {
      const decision = decideRetry(
        { ...error, retryAfterMs: undefined, shouldRetryHeader: undefined },
        1,
        settings,
        half,
      );
      if (expected === 'retry') assert.equal(decision.kind, 'retry');
      else if (expected === 'job') assert.deepEqual(decision, { kind: 'stop-job', reason: 'errorNotRetryable' });
      else if (expected === 'abort') assert.deepEqual(decision, { kind: 'fail-item', reason: 'abort' });
      else assert.deepEqual(decision, { kind: 'fail-item', reason: 'errorNotRetryable' });
    });
  }

  it('stops after max_attempts with maxRetriesExceeded', () => {
    const error = { kind: 'http' as const, status: 500, retryAfterMs: undefined, shouldRetryHeader: undefined };
    assert.equal(decideRetry(error, 3, settings, half).kind, 'retry');
    assert.deepEqual(decideRetry(error, 4, settings, half), { kind: 'fail-item', reason: 'maxRetriesExceeded' });
  });

  it('an answer over max_response_bytes is never retried, whatever the server says', () => {
    const decision = decideRetry({ kind: 'response_too_large', status: 200, shouldRetryHeader: true }, 1, settings);
    assert.deepEqual(decision, { kind: 'fail-item', reason: 'errorNotRetryable' });
  });

  it('x-should-retry wins both ways', () => {
    assert.equal(
      decideRetry({ kind: 'http', status: 500, shouldRetryHeader: false }, 1, settings).kind === 'retry',
      false,
    );
    assert.equal(decideRetry({ kind: 'http', status: 400, shouldRetryHeader: true }, 1, settings).kind, 'retry');
  });

  it('honours retry-after within bounds', () => {
    const decision = decideRetry({ kind: 'http', status: 429, retryAfterMs: 2000 }, 1, settings, () => 0);
    assert.deepEqual(decision, { kind: 'retry', delayMs: 2000 });
    const capped = decideRetry({ kind: 'http', status: 429, retryAfterMs: 3_600_000 }, 1, settings, () => 0);
    assert.equal(capped.kind === 'retry' && capped.delayMs, MAX_SERVER_RETRY_AFTER_MS);
  });

  it('adds at most 5% + 10 ms of jitter to a server wait (the item waits, not the pool)', () => {
    const decision = decideRetry({ kind: 'http', status: 429, retryAfterMs: 1000 }, 1, settings, () => 0.999_999);
    assert.deepEqual(decision, { kind: 'retry', delayMs: 1060 });
  });
});

describe('backoffDelay', () => {
  it('is full jitter under an exponential ceiling', () => {
    assert.equal(
      backoffDelay(undefined, 1, 1, settings, () => 1),
      500,
    );
    assert.equal(
      backoffDelay(undefined, 3, 1, settings, () => 1),
      2000,
    );
    assert.equal(
      backoffDelay(undefined, 3, 1, settings, () => 0),
      0,
    );
    assert.equal(
      backoffDelay(undefined, 30, 1, settings, () => 1),
      60_000,
    );
  });
});

describe('parseRetryAfter', () => {
  it('prefers retry-after-ms, then seconds, then an HTTP date', () => {
    assert.equal(parseRetryAfter('150', '7', 0), 150);
    assert.equal(parseRetryAfter(undefined, '7', 0), 7000);
    const now = Date.parse('2026-11-23T10:00:00Z');
    assert.equal(parseRetryAfter(undefined, 'Mon, 23 Nov 2026 10:00:05 GMT', now), 5000);
    assert.equal(parseRetryAfter(undefined, 'soon', now), undefined);
  });
});

describe('decideRetry for a scattered failure', () => {
  it('cuts the backoff of a 500, a reset or a cut body to a tenth while the endpoint is healthy', () => {
    for (const error of [
      { kind: 'http' as const, status: 500 },
      { kind: 'connection' as const },
      { kind: 'malformed' as const, status: 200 },
    ]) {
      const usual = decideRetry(error, 2, settings, half);
      const scattered = decideRetry({ ...error, scattered: true }, 2, settings, half);
      assert.ok(usual.kind === 'retry' && scattered.kind === 'retry');
      assert.equal(scattered.delayMs, Math.round(usual.delayMs * 0.1), JSON.stringify(error));
    }
  });

  it('backs off overload answers in full, and honours a retry-after, however healthy the endpoint', () => {
    for (const status of [429, 503, 529]) {
      const usual = decideRetry({ kind: 'http', status }, 2, settings, half);
      const scattered = decideRetry({ kind: 'http', status, scattered: true }, 2, settings, half);
      assert.deepEqual(scattered, usual, String(status));
    }
    const waited = decideRetry({ kind: 'http', status: 500, retryAfterMs: 1000, scattered: true }, 1, settings, half);
    assert.ok(waited.kind === 'retry' && waited.delayMs >= 1000);
  });
});
