import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FollowGate, followAnswers } from '../../../src/compose/follow-answers.ts';
import type { ItemState } from '../../../src/core/states.ts';
import type { AnswerLookup, AnswerRecord } from '../../../src/output/answer-record.ts';

/**
 * The join-back that follows a run hands a page on only once all of its items are settled (or the run has ended),
 * waits on the run's progress before reading a page, and gives up when the run stops to be resumed.
 */

/** A store's answers as a run changes them: `states` is read at each lookup. */
function fakeLookup(states: Map<string, ItemState>): { lookup: AnswerLookup; reads: () => number } {
  let reads = 0;
  const lookup: AnswerLookup = (ids) => {
    reads += 1;
    const found = new Map<string, AnswerRecord>();
    for (const id of ids) {
      const state = states.get(id);
      if (state !== undefined) found.set(id, { state, attempts: 1, reasks: 0 });
    }
    return Promise.resolve(found);
  };
  return { lookup, reads: () => reads };
}

describe('followAnswers', () => {
  it('hands a page on once every item is stored and settled', async () => {
    const states = new Map<string, ItemState>([
      ['a', 'succeeded'],
      ['b', 'in_flight'],
    ]);
    const { lookup } = fakeLookup(states);
    const gate = new FollowGate();
    gate.progress(3);
    const page = followAnswers(lookup, gate)(['a', 'b', 'c']);
    let handed = false;
    void page.then(() => {
      handed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 120));
    assert.equal(handed, false, 'b is in flight and c not stored yet');
    states.set('b', 'failed');
    states.set('c', 'pending');
    await new Promise((resolve) => setTimeout(resolve, 250));
    assert.equal(handed, false, 'c is pending');
    states.set('c', 'cancelled');
    const answers = await page;
    assert.deepEqual(
      ['a', 'b', 'c'].map((id) => answers.get(id)?.state),
      ['succeeded', 'failed', 'cancelled'],
    );
  });

  it('hands a page on as it is once the run has ended, a missing item missing', async () => {
    const states = new Map<string, ItemState>([['a', 'pending']]);
    const gate = new FollowGate();
    const page = followAnswers(fakeLookup(states).lookup, gate)(['a', 'b']);
    setTimeout(() => gate.end(), 50);
    const answers = await page;
    assert.equal(answers.get('a')?.state, 'pending');
    assert.equal(answers.has('b'), false);
  });

  it('reads a page once the run has settled as many items as the pages so far hold, not before', async () => {
    const states = new Map<string, ItemState>([
      ['a', 'succeeded'],
      ['b', 'succeeded'],
      ['c', 'succeeded'],
    ]);
    const fake = fakeLookup(states);
    const gate = new FollowGate();
    const follow = followAnswers(fake.lookup, gate);
    gate.progress(2);
    await follow(['a', 'b']);
    assert.equal(fake.reads(), 1);
    const second = follow(['c']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(fake.reads(), 1, 'the run has settled 2 items: the page of the third waits');
    gate.progress(3);
    await second;
    assert.equal(fake.reads(), 2);
  });

  it('throws an AbortError once the run stops to be resumed, even mid-wait', async () => {
    const gate = new FollowGate();
    gate.progress(1);
    const page = followAnswers(fakeLookup(new Map([['a', 'pending']])).lookup, gate)(['a']);
    setTimeout(() => gate.abandon(), 50);
    await assert.rejects(page, { name: 'AbortError' });
  });
});
