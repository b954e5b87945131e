import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pickRowContext } from '../../../src/prep/row-context.ts';

describe('pickRowContext', () => {
  it('keeps only the fields covers checks read, nested as in the row', () => {
    const row = { id: 1, text: 'long', required_dimensions: ['a', 'b'], meta: { dims: 'x,y', other: 2 } };
    assert.deepEqual(pickRowContext(row, [['required_dimensions'], ['meta', 'dims']]), {
      required_dimensions: ['a', 'b'],
      meta: { dims: 'x,y' },
    });
  });

  it('is undefined when the row has none of them', () => {
    assert.equal(pickRowContext({ id: 1 }, [['required_dimensions']]), undefined);
  });
});
