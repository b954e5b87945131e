import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEmpty } from '../../../src/util/is-empty.ts';

describe('isEmpty', () => {
  it('reads at most the first value of a list, then closes it', async () => {
    const read: number[] = [];
    let closed = false;
    async function* numbers(): AsyncGenerator<number> {
      try {
        for (let value = 0; value < 1_000; value++) {
          read.push(value);
          await Promise.resolve();
          yield value;
        }
      } finally {
        closed = true;
      }
    }
    assert.equal(await isEmpty(numbers()), false);
    assert.deepEqual(read, [0]);
    assert.equal(closed, true);
    assert.equal(await isEmpty((async function* () {})()), true);
  });
});
