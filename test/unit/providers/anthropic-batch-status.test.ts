import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type AnthropicBatchFields,
  mapAnthropicBatch,
} from '../../../src/providers/anthropic/map-anthropic-batch-status.ts';

function batch(overrides: Partial<AnthropicBatchFields>): AnthropicBatchFields {
  return {
    id: 'msgbatch_1',
    processing_status: 'in_progress',
    request_counts: { processing: 4, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
    created_at: '2026-11-20T10:00:00.000Z',
    cancel_initiated_at: null,
    results_url: null,
    ...overrides,
  };
}

describe('mapAnthropicBatch', () => {
  it('keeps a running or canceling batch open, whatever its word', () => {
    for (const status of ['in_progress', 'canceling', 'something_new']) {
      const remote = mapAnthropicBatch(batch({ processing_status: status }));
      assert.equal(remote.end, null, status);
      assert.equal(remote.rawStatus, status);
    }
    const running = mapAnthropicBatch(batch({}));
    assert.deepEqual(running.counts, { total: 4, completed: 0, failed: 0 });
    assert.deepEqual(running.resultRefs, {});
    assert.deepEqual(running.errors, []);
    assert.equal(running.createdAt, Date.parse('2026-11-20T10:00:00.000Z'));
  });

  it('ends completed, expired or cancelled, and counts errored, expired and canceled lines as failed', () => {
    const ended = {
      processing_status: 'ended',
      results_url: 'https://api.anthropic.com/v1/messages/batches/msgbatch_1/results',
    };
    const completed = mapAnthropicBatch(
      batch({ ...ended, request_counts: { processing: 0, succeeded: 3, errored: 1, canceled: 0, expired: 0 } }),
    );
    assert.equal(completed.end, 'completed');
    assert.deepEqual(completed.counts, { total: 4, completed: 3, failed: 1 });
    assert.deepEqual(completed.resultRefs, { results_url: ended.results_url });

    const expired = mapAnthropicBatch(
      batch({ ...ended, request_counts: { processing: 0, succeeded: 2, errored: 0, canceled: 0, expired: 2 } }),
    );
    assert.equal(expired.end, 'expired');
    assert.deepEqual(expired.counts, { total: 4, completed: 2, failed: 2 });

    const cancelled = mapAnthropicBatch(
      batch({
        ...ended,
        cancel_initiated_at: '2026-11-20T10:01:00.000Z',
        request_counts: { processing: 0, succeeded: 4, errored: 0, canceled: 0, expired: 0 },
      }),
    );
    assert.equal(cancelled.end, 'cancelled');
  });
});
