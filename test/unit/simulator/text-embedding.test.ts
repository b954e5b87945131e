import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveSimulatorOptions, textEmbedding } from '../../../src/simulator/index.ts';

describe('textEmbedding', () => {
  it('depends on the model and the text only, at the dimension asked', () => {
    const vector = textEmbedding('m', 'a red vase', 20);
    assert.equal(vector.length, 20);
    assert.deepEqual(textEmbedding('m', 'a red vase', 20), vector);
    assert.notDeepEqual(textEmbedding('m', 'a blue vase', 20), vector);
    assert.notDeepEqual(textEmbedding('other', 'a red vase', 20), vector);
    // A shorter vector is the head of a longer one: the draws do not depend on the dimension.
    assert.deepEqual(textEmbedding('m', 'a red vase', 3), vector.slice(0, 3));
    for (const value of vector) assert.ok(value >= -1 && value <= 1);
  });
});

describe('embedding simulator options', () => {
  it('default to 8 dimensions and no embeddings errors, and refuse what is out of range', () => {
    const resolved = resolveSimulatorOptions();
    assert.equal(resolved.embeddingDimensions, 8);
    assert.equal(resolved.embeddingErrorRate, 0);
    assert.throws(() => resolveSimulatorOptions({ embeddingDimensions: 0 }), RangeError);
    assert.throws(() => resolveSimulatorOptions({ embeddingDimensions: 2.5 }), RangeError);
    assert.throws(() => resolveSimulatorOptions({ embeddingErrorRate: 1.5 }), RangeError);
  });
});
