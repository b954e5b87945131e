import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Deadlines, type DeadlineEntry } from '../../../src/providers/deadlines.ts';

function entry(name: string, expired: string[]): DeadlineEntry & { name: string } {
  return { name, deadlineAt: 0, previousDeadline: null, nextDeadline: null, expire: () => expired.push(name) };
}

const names = (deadlines: Deadlines): string[] =>
  [...deadlines.entries()].map((item) => (item as DeadlineEntry & { name: string }).name);

describe('Deadlines: one timer for the deadlines of every request in flight', () => {
  it('keeps entries in deadline order, whether they come in order or not, and removes any of them', () => {
    const expired: string[] = [];
    const deadlines = new Deadlines(() => 0);
    const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map((name) => entry(name, expired));
    deadlines.add(a!, 1000);
    deadlines.add(b!, 2000);
    deadlines.add(c!, 1500);
    deadlines.add(d!, 500);
    deadlines.add(e!, 2000);
    assert.deepEqual(names(deadlines), ['d', 'a', 'c', 'b', 'e']);
    deadlines.remove(c!);
    deadlines.remove(d!);
    deadlines.remove(e!);
    deadlines.remove(e!);
    assert.deepEqual(names(deadlines), ['a', 'b']);
    deadlines.remove(a!);
    deadlines.remove(b!);
    assert.deepEqual(names(deadlines), []);
    assert.deepEqual(expired, []);
  });

  it('expires what is due, earliest first, and none that was removed', async () => {
    const expired: string[] = [];
    const deadlines = new Deadlines();
    const now = Date.now();
    const [late, early, gone, middle] = ['late', 'early', 'gone', 'middle'].map((name) => entry(name, expired));
    deadlines.add(late!, now + 60);
    deadlines.add(early!, now + 5);
    deadlines.add(gone!, now + 10);
    deadlines.add(middle!, now + 30);
    deadlines.remove(gone!);
    // Bounded: each wait ends as soon as the expected entries are out, or fails after 5 s.
    for (let waited = 0; expired.length < 3 && waited < 5000; waited += 10) await sleep(10);
    assert.deepEqual(expired, ['early', 'middle', 'late']);
    assert.deepEqual(names(deadlines), []);
  });
});
