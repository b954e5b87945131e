import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PreparedRequest } from '../../../src/core/item.ts';
import { runJob, type RunSettings } from '../../../src/engine/run-job.ts';
import { SlotPool } from '../../../src/engine/slot-pool.ts';
import type { ProviderResponse, RealtimeProvider } from '../../../src/providers/provider.ts';
import { useRunJobWorld } from './run-job-fixture.ts';

/**
 * `runJob` with a shared `SlotPool`, as the background scheduler runs jobs: requests in flight across jobs stay under
 * the pool's total, a small job started beside a big one gets its share at once, and every slot comes back.
 */

const SETTINGS: RunSettings = {
  concurrency: 8,
  timeoutMs: 5000,
  retry: { maxAttempts: 2, baseDelayMs: 0, maxDelayMs: 0 },
  rpm: 0,
  tpm: 0,
  limit: 0,
  order: 'input',
  maxLineBytes: 1_048_576,
  parser: { format: 'openai_batch', messagesKey: 'messages', defaults: { request: {}, extraBody: {} } },
};

/** Answers after `latencyMs`, counting requests in flight per job (by custom_id prefix) and in all. */
class CountingProvider implements RealtimeProvider {
  readonly name = 'counting';
  inFlight = 0;
  maxInFlight = 0;
  readonly perJob = new Map<string, { now: number; max: number }>();
  /** Per job: in flight at the moment another job's first request was sent. */
  readonly seenTogether = new Set<string>();

  private readonly latencyMs: number;

  constructor(latencyMs: number) {
    this.latencyMs = latencyMs;
  }

  async send(request: PreparedRequest): Promise<ProviderResponse> {
    const job = /"content":"question \d+ of ([a-z]+)/.exec(request.body)?.[1] ?? '?';
    const counter = this.perJob.get(job) ?? { now: 0, max: 0 };
    this.perJob.set(job, counter);
    this.inFlight += 1;
    counter.now += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    counter.max = Math.max(counter.max, counter.now);
    if ([...this.perJob.values()].filter((other) => other.now > 0).length > 1) this.seenTogether.add(job);
    await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    this.inFlight -= 1;
    counter.now -= 1;
    return { statusCode: 200, requestId: null, body: '{"ok":true}', usage: null, rateLimit: null };
  }

  async close(): Promise<void> {}
}

describe('runJob with a shared SlotPool', () => {
  const world = useRunJobWorld('bp-slots-');
  const { createJob } = world;

  it('keeps two jobs under the budget together and gives the small one its share', async () => {
    await createJob('big', 400);
    await createJob('small', 40);
    const pool = new SlotPool(6);
    const provider = new CountingProvider(3);
    const bigShare = pool.join('big');
    const smallShare = pool.join('small');
    const big = runJob({ jobId: 'big', store: world.store, provider, settings: SETTINGS, slots: bigShare });
    // The big job fills the pool first; the small one arrives while it runs.
    await new Promise((resolve) => setTimeout(resolve, 30));
    const small = await runJob({ jobId: 'small', store: world.store, provider, settings: SETTINGS, slots: smallShare });
    smallShare.leave();
    const bigResult = await big;
    bigShare.leave();

    assert.equal(small.outcome, 'completed');
    assert.equal(bigResult.outcome, 'completed');
    assert.equal(small.report.counts.succeeded, 40);
    assert.equal(bigResult.report.counts.succeeded, 400);
    assert.ok(provider.maxInFlight <= 6, `in flight at most ${String(provider.maxInFlight)}, budget 6`);
    assert.equal(provider.perJob.get('big')?.max, 6, 'alone, the big job used the whole budget (its concurrency is 8)');
    assert.ok(provider.seenTogether.has('small'), 'the small job ran beside the big one');
    assert.ok(
      (provider.perJob.get('small')?.max ?? 0) >= 3,
      `the small job reached its share of 3 (got ${String(provider.perJob.get('small')?.max)})`,
    );
    assert.equal(pool.used, 0, 'every slot was given back');
    assert.equal(pool.size, 0);
  });
});
