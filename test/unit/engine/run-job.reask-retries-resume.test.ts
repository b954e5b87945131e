import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PreparedRequest } from '../../../src/core/item.ts';
import { runJob, type RunSettings } from '../../../src/engine/run-job.ts';
import { ProviderError } from '../../../src/errors/index.ts';
import type { ProviderResponse, RealtimeProvider, SendOptions } from '../../../src/providers/provider.ts';
import { useRunJobWorld } from './run-job-fixture.ts';
import { FakeAnswerReview, reaskNumberOf } from './fake-answer-review.ts';

/**
 * A re-ask gets the retries of a fresh request (docs/decisions/0019 §5), and keeps the ones it used when the run
 * stops between them: resume counts its retries from the attempt of the answer that was re-asked (the attempts
 * ledger), not from every attempt made so far, which would hand a re-ask a fresh `max_attempts` after each stop.
 */

const MAX_ATTEMPTS = 3;

function settings(baseDelayMs: number): RunSettings {
  return {
    concurrency: 1,
    timeoutMs: 5000,
    retry: { maxAttempts: MAX_ATTEMPTS, baseDelayMs, maxDelayMs: baseDelayMs },
    rpm: 0,
    tpm: 0,
    limit: 0,
    order: 'input',
    maxLineBytes: 1_048_576,
    parser: { format: 'openai_batch', messagesKey: 'messages', defaults: { request: {}, extraBody: {} } },
    outageMaxWaitMs: null,
  };
}

/** The simulator answers every original request; every re-ask fails with a 500 (retryable), counted here. */
class FailingReasks implements RealtimeProvider {
  readonly name = 'failing-reasks';
  reaskFailures = 0;
  onReaskFailure: (() => void) | undefined;
  private readonly inner: RealtimeProvider;

  constructor(inner: RealtimeProvider) {
    this.inner = inner;
  }

  async send(request: PreparedRequest, options: SendOptions): Promise<ProviderResponse> {
    if (reaskNumberOf(request.body) === 0) return this.inner.send(request, options);
    this.reaskFailures += 1;
    queueMicrotask(() => this.onReaskFailure?.());
    throw ProviderError.generate(500, 'server_error', {});
  }

  async close(): Promise<void> {
    await this.inner.close();
  }
}

describe('a re-ask stopped between its retries', () => {
  const world = useRunJobWorld('bp-reask-retries-', { simulator: true });

  function provider(): FailingReasks {
    return new FailingReasks(world.simulatorProvider(1));
  }

  it('has max_attempts tries in all after a resume, as in one run', async () => {
    await world.createJob('stopped', 1);
    // Seq 1's original answer is invalid and re-asked; the re-ask is never answered (500s).
    const review = new FakeAnswerReview({ max: 1, fixedAfter: () => 9 });

    // Run 1: the re-ask's first try fails and waits a long retry delay; the run is stopped meanwhile.
    const first = provider();
    const stop = new AbortController();
    first.onReaskFailure = () => setTimeout(() => stop.abort(), 50);
    const stopped = await runJob({
      jobId: 'stopped',
      store: world.store,
      provider: first,
      settings: settings(60_000),
      review,
      signal: stop.signal,
    });
    await first.close();
    assert.equal(stopped.outcome, 'interrupted');
    assert.equal(first.reaskFailures, 1);

    // Resume: the re-ask has MAX_ATTEMPTS - 1 tries left, then the item fails.
    const second = provider();
    const resumed = await runJob({
      jobId: 'stopped',
      store: world.store,
      provider: second,
      settings: settings(0),
      review,
    });
    await second.close();
    assert.equal(resumed.outcome, 'completed');
    assert.equal(second.reaskFailures, MAX_ATTEMPTS - 1, 're-ask tries after the resume');
    const items = await world.itemsOf('stopped');
    assert.equal(items[0]?.state, 'failed');
    assert.equal(items[0]?.attempts, 1 + MAX_ATTEMPTS, 'the original request, then MAX_ATTEMPTS tries of its re-ask');
  });
});
