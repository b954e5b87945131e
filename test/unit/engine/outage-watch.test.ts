import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_PROBE_DELAY_MS, OutageWatch, PAUSE_AFTER } from '../../../src/engine/outage-watch.ts';

/** The outage rules on a fake clock: who is to blame for a connection failure, when the pool pauses and stops. */

function watchAt(start: number, maxWaitMs = 10_000): { watch: OutageWatch; clock: { now: number } } {
  const clock = { now: start };
  return { watch: new OutageWatch({ maxWaitMs, now: () => clock.now }), clock };
}

describe('OutageWatch', () => {
  it('blames the item when another request got an answer while it was out', () => {
    const { watch, clock } = watchAt(1000);
    clock.now = 1010;
    watch.recordAnswer();
    assert.equal(watch.recordUnreachable(1005), false, 'an answer came after this request started');
    assert.equal(watch.elapsedMs, 0);
  });

  it('blames the endpoint when no answer came, pauses after a few in a row, and is exhausted after the wait', () => {
    const { watch, clock } = watchAt(1000);
    watch.recordAnswer();
    for (let failure = 1; failure <= PAUSE_AFTER; failure += 1) {
      assert.equal(watch.isPaused, false);
      clock.now += 100;
      assert.equal(watch.recordUnreachable(clock.now - 50), true);
    }
    assert.equal(watch.isPaused, true);
    assert.equal(watch.isExhausted, false);
    clock.now += 10_000;
    assert.equal(watch.isExhausted, true);
  });

  it('ends the outage at the first answer', () => {
    const { watch, clock } = watchAt(0);
    for (let failure = 0; failure < PAUSE_AFTER; failure += 1) watch.recordUnreachable(clock.now);
    assert.equal(watch.isPaused, true);
    clock.now = 5;
    watch.recordAnswer();
    assert.equal(watch.isPaused, false);
    assert.equal(watch.elapsedMs, 0);
  });

  it('spaces probes up to the cap and never past the deadline', () => {
    const { watch, clock } = watchAt(0, 60_000);
    for (let failure = 0; failure < 20; failure += 1) watch.recordUnreachable(clock.now);
    assert.equal(
      watch.nextProbeDelayMs(() => 1),
      MAX_PROBE_DELAY_MS,
    );
    clock.now = 50_000;
    assert.equal(
      watch.nextProbeDelayMs(() => 1),
      10_000,
      'only what is left of the wait',
    );
  });
});
