import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { transformJSONSchema } from '@anthropic-ai/sdk/lib/transform-json-schema';
import { withDescribedConstraints } from '../../../src/simulator/structured/read-described-constraints.ts';

describe('withDescribedConstraints', () => {
  it("reads the constraints Anthropic's SDK moves into a description, as keywords", () => {
    const moved = transformJSONSchema({
      type: 'string',
      description: 'Chinese critique',
      minLength: 200,
      maxLength: 900,
    });
    assert.equal(moved['minLength'], undefined);
    assert.deepEqual(withDescribedConstraints(moved), {
      type: 'string',
      description: 'Chinese critique\n\n{minLength: 200, maxLength: 900}',
      minLength: 200,
      maxLength: 900,
    });
    const items = transformJSONSchema({ type: 'array', items: { type: 'string' }, minItems: 18, uniqueItems: true });
    assert.equal(withDescribedConstraints(items)['minItems'], 18);
    assert.equal(withDescribedConstraints(items)['uniqueItems'], true);
  });

  it('keeps a keyword the node has, and leaves other descriptions and values alone', () => {
    const own = { type: 'number', minimum: 0, description: '{minimum: 5, maximum: 9}' };
    assert.deepEqual(withDescribedConstraints(own), { ...own, maximum: 9 });
    for (const description of ['A score {from 1 to 10}', 'plain', '{pattern: "^a{2}$"}', '{minLength: [1]}', '{x']) {
      const schema = { type: 'string', description };
      assert.equal(withDescribedConstraints(schema), schema, description);
    }
  });
});
