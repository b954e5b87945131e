import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PreparedRequest } from '../../../src/core/item.ts';
import { runJob, type RunSettings } from '../../../src/engine/run-job.ts';
import { ProviderError } from '../../../src/errors/index.ts';
import type { ProviderResponse, RealtimeProvider, SendOptions } from '../../../src/providers/provider.ts';
import { useRunJobWorld } from './run-job-fixture.ts';
import { FakeAnswerReview, reaskNumberOf } from './fake-answer-review.ts';

/**
 * Realtime re-asks (issue 12 §3, docs/decisions/0019): the real engine against the simulator on 127.0.0.1 and a
 * temp store: world.store, with a fake `AnswerReview`. An answer that is not valid goes straight back into the pool as a re-ask,
 * at most `max` times; the item ends succeeded with its last answer and check; an interrupted run's re-asks are
 * rebuilt from the store and sent once on resume.
 */

const SETTINGS: RunSettings = {
  concurrency: 4,
  timeoutMs: 5000,
  retry: { maxAttempts: 2, baseDelayMs: 0, maxDelayMs: 0 },
  rpm: 0,
  tpm: 0,
  limit: 0,
  order: 'input',
  maxLineBytes: 1_048_576,
  parser: { format: 'openai_batch', messagesKey: 'messages', defaults: { request: {}, extraBody: {} } },
  outageMaxWaitMs: null,
};

/** The real provider, recording every request body it is given by custom_id; `hold` makes chosen requests wait for the abort. */
class RecordingProvider implements RealtimeProvider {
  readonly name = 'recording';
  readonly sent = new Map<string, string[]>();
  hold: ((request: PreparedRequest) => boolean) | undefined;
  onHold: (() => void) | undefined;
  private readonly inner: RealtimeProvider;

  constructor(inner: RealtimeProvider) {
    this.inner = inner;
  }

  async send(request: PreparedRequest, options: SendOptions): Promise<ProviderResponse> {
    const customId = options.item?.customId ?? '?';
    this.sent.set(customId, [...(this.sent.get(customId) ?? []), request.body]);
    if (this.hold?.(request) === true) {
      this.onHold?.();
      await new Promise((resolve) => options.signal?.addEventListener('abort', resolve, { once: true }));
      throw new ProviderError('aborted', { kind: 'aborted' });
    }
    return this.inner.send(request, options);
  }

  async close(): Promise<void> {
    await this.inner.close();
  }
}

describe('runJob with an answer review', () => {
  const world = useRunJobWorld('bp-reasks-', { simulator: true });
  const { createJob, itemsOf } = world;

  function recordingProvider(): RecordingProvider {
    return new RecordingProvider(world.simulatorProvider(4));
  }

  it('re-asks an answer that is not valid, at most reask.max times, and keeps every check', async () => {
    await createJob('bound', 12);
    const provider = recordingProvider();
    // seq % 4 = 3 never gets valid within max 2: it ends succeeded with its non-valid check.
    const review = new FakeAnswerReview({ max: 2, fixedAfter: (seq) => (seq % 4 === 3 ? 9 : seq % 4) });
    const result = await runJob({ jobId: 'bound', store: world.store, provider, settings: SETTINGS, review });
    await provider.close();
    assert.equal(result.outcome, 'completed');
    const items = await itemsOf('bound');
    assert.equal(items.length, 12);
    for (const item of items) {
      const wanted = item.seq % 4 === 3 ? 2 : item.seq % 4;
      const label = `item ${item.customId}`;
      assert.equal(item.state, 'succeeded', label);
      assert.equal(item.reasks, wanted, label);
      assert.equal(item.attempts, wanted + 1, label);
      const lastStatus = item.seq % 4 !== 3 ? 'valid' : item.seq % 2 === 0 ? 'invalid' : 'truncated';
      assert.equal(item.check?.status, lastStatus, label);
      const sent = provider.sent.get(item.customId) ?? [];
      assert.deepEqual(
        sent.map(reaskNumberOf),
        Array.from({ length: wanted + 1 }, (_, index) => index),
        label,
      );
    }
    const stats = await world.store.attemptStats('bound');
    // Three items each of 0, 1, 2 and 2 (the bound) re-asks.
    assert.equal(stats.attempts, 12 + 3 * (0 + 1 + 2 + 2));
    const answers = result.report.answers;
    assert.deepEqual(answers?.by_status, { valid: 9, truncated: 3 });
    assert.deepEqual(answers.valid_after_reasks, [3, 3, 3]);
    assert.equal(answers.reasks.attempts, 15);
    assert.ok(answers.reasks.tokens.input > 0, 'the re-asks were billed tokens');
  });

  it('keeps the answer with its check when the review throws, never failing the item as the provider would', async () => {
    await createJob('throws', 4);
    const provider = recordingProvider();
    const review = new FakeAnswerReview({ max: 2, fixedAfter: () => 9 });
    review.reask = () => {
      throw new Error('a bug in the review');
    };
    const result = await runJob({ jobId: 'throws', store: world.store, provider, settings: SETTINGS, review });
    await provider.close();
    assert.equal(result.outcome, 'completed');
    for (const item of await itemsOf('throws')) {
      const label = `item ${item.customId}`;
      assert.deepEqual([item.state, item.reasks, item.attempts], ['succeeded', 0, 1], label);
      assert.notEqual(item.check?.status, 'valid', label);
    }
  });

  it('sends each re-ask left by an interrupted run once on resume, rebuilt from the stored answer and check', async () => {
    await createJob('resume', 8);
    const review = new FakeAnswerReview({ max: 2, fixedAfter: (seq) => (seq % 2 === 0 ? 2 : 0) });
    const first = recordingProvider();
    const stop = new AbortController();
    // Every re-ask of the first run hangs until the run is stopped, which the first one held triggers.
    first.hold = (request) => reaskNumberOf(request.body) > 0;
    first.onHold = () => setTimeout(() => stop.abort(), 50);
    const interrupted = await runJob({
      jobId: 'resume',
      store: world.store,
      provider: first,
      settings: SETTINGS,
      review,
      signal: stop.signal,
      graceMs: 0,
    });
    await first.close();
    assert.equal(interrupted.outcome, 'interrupted');
    const heldReasks = [...first.sent.entries()].filter(([, bodies]) => bodies.some((body) => reaskNumberOf(body) > 0));
    assert.ok(heldReasks.length > 0, 'the first run sent at least one re-ask before it stopped');
    const left = (await itemsOf('resume')).filter((item) => item.reasks > 0);
    assert.ok(left.length > 0, 'a re-asked item was left unfinished with its re-ask count');
    for (const item of left) assert.equal(item.state, 'cancelled', `item ${item.customId}`);

    const second = recordingProvider();
    const resumed = await runJob({ jobId: 'resume', store: world.store, provider: second, settings: SETTINGS, review });
    await second.close();
    assert.equal(resumed.outcome, 'completed');
    for (const [customId, bodies] of heldReasks) {
      const held = bodies.find((body) => reaskNumberOf(body) > 0);
      const resent = second.sent.get(customId) ?? [];
      // The rebuilt re-ask is the very request the first run sent, sent once.
      assert.equal(resent[0], held, `item ${customId}: first request on resume`);
      assert.equal(resent.filter((body) => body === held).length, 1, `item ${customId}`);
    }
    for (const item of await itemsOf('resume')) {
      const label = `item ${item.customId}`;
      assert.equal(item.state, 'succeeded', label);
      assert.equal(item.check?.status, 'valid', label);
      assert.equal(item.reasks, item.seq % 2 === 0 ? 2 : 0, label);
      const all = [...(first.sent.get(item.customId) ?? []), ...(second.sent.get(item.customId) ?? [])];
      const reasks = all.map(reaskNumberOf).filter((number) => number > 0);
      // No re-ask answered twice: each re-ask number at most once beyond one held in flight when stopped.
      assert.ok(reasks.length <= item.reasks + 1, `${label}: re-asks sent ${reasks.join(',')}`);
      assert.ok(Math.max(0, ...reasks) <= 2, label);
    }
  });
});
