import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TOKEN_LIMIT_ERROR } from '../../../../src/providers/provider.ts';
import { ConnectionError, ProviderError } from '../../../../src/errors/index.ts';
import { lines, useBatchJobFixture } from './batch-job-fixture.ts';
import { FakeBatchProvider } from './fake-batch-provider.ts';

/**
 * Batch mode's retries, against an in-memory provider and a temp store: a line that fails with a retryable error or
 * expires goes into a later chunk until it succeeds or its attempts run out; a line that fails for good is not sent
 * again; remote steps that meet network faults, 429s or 5xx are retried without paying twice; a batch refused for
 * the enqueued-token limit costs its lines no attempt; a 401 stops the job.
 */

const http = (status: number) => ProviderError.generate(status, `HTTP ${String(status)}`, {});

describe('runBatchJob: retries', () => {
  const fixture = useBatchJobFixture();

  it('resubmits failed and expired lines until they succeed or run out of attempts', async () => {
    const provider = new FakeBatchProvider({
      lineResult(customId, n) {
        const error = (status: number) => ({
          customId,
          kind: 'errored' as const,
          error: { code: `http_${String(status)}`, message: 'no', status },
          failureKind: 'http' as const,
        });
        if (customId === 'line-3' && n === 1) return error(500);
        if (customId === 'line-5' && n === 1) return { customId, kind: 'expired' };
        if (customId === 'line-7') return error(400);
        if (customId === 'line-9') return error(503);
        return undefined;
      },
    });
    const result = await fixture.run('lines', lines(20, 'line'), provider, {
      retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
    });
    assert.equal(result.outcome, 'completed');
    assert.equal(result.report.counts.succeeded, 18);
    assert.equal(result.report.counts.failed, 2);
    assert.equal(provider.sent.get('line-3'), 2, 'a 500 is sent again');
    assert.equal(provider.sent.get('line-5'), 2, 'an expired line is sent again');
    assert.equal(provider.sent.get('line-7'), 1, 'a 400 is not sent again');
    assert.equal(provider.sent.get('line-9'), 3, 'a line failing every time is sent max_attempts times');
    assert.equal(provider.sent.get('line-0'), 1);
    const items = new Map((await fixture.items('lines')).map((item) => [item.customId, item]));
    assert.equal(items.get('line-7')?.error?.reason, 'errorNotRetryable');
    assert.equal(items.get('line-7')?.attempts, 1);
    assert.equal(items.get('line-9')?.error?.reason, 'maxRetriesExceeded');
    assert.equal(items.get('line-9')?.attempts, 3);
    assert.equal(items.get('line-3')?.state, 'succeeded');
    assert.equal(items.get('line-5')?.state, 'succeeded');
  });

  it('retries remote steps through network faults, 429s and 5xx, paying for each chunk once', async () => {
    const provider = new FakeBatchProvider({ pollsToEnd: 2 });
    provider.failNext('upload', http(503));
    provider.failNext(
      'upload',
      new ConnectionError('connection refused', { kind: 'connection', errno: 'ECONNREFUSED' }),
    );
    provider.failNext('createBatch', http(429));
    provider.failNext('getBatch', http(500));
    provider.failNext('readResults', http(502));
    const result = await fixture.run('remote', lines(30, 'remote'), provider, { chunkMaxRequests: 10 });
    assert.equal(result.outcome, 'completed');
    assert.equal(result.report.counts.succeeded, 30);
    assert.equal(provider.files.size, 3, 'one file per chunk');
    assert.equal(provider.batches.size, 3, 'one batch per chunk');
    assert.ok(
      [...provider.sent.values()].every((times) => times === 1),
      'no line sent twice',
    );
    assert.equal(provider.calls.upload, 5, 'the two failed uploads were tried again');
  });

  it('a batch refused for the enqueued-token limit is sent again without using up an attempt', async () => {
    const provider = new FakeBatchProvider({
      batchErrors: (n) => (n === 1 ? [{ code: TOKEN_LIMIT_ERROR, message: 'too many tokens enqueued' }] : []),
    });
    const result = await fixture.run('tokens', lines(10, 'tokens'), provider, {
      retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 2 },
    });
    assert.equal(result.outcome, 'completed', 'with max_attempts 1, only an uncounted retry can succeed');
    assert.equal(result.report.counts.succeeded, 10);
    assert.equal(provider.batches.size, 2);
  });

  it('stops with auth_failed on a 401, leaving the items unsent', async () => {
    const provider = new FakeBatchProvider();
    provider.failNext('upload', http(401));
    const result = await fixture.run('auth', lines(10, 'auth'), provider);
    assert.equal(result.outcome, 'auth_failed');
    assert.equal(result.fatal?.code, 'AUTH_FAILED');
    assert.equal(provider.batches.size, 0);
  });
});
