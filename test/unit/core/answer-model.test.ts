import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { answerModel } from '../../../src/core/item.ts';

/** The model an answer names: read the same way by the report's pricing and by join-back's `answersFor`. */
describe('answerModel', () => {
  it('reads the top-level model of a JSON answer, as text or as bytes', () => {
    const body = '{"id":"x","choices":[{"message":{"content":"{\\"model\\":\\"inner\\"}"}}],"model":"gpt-4o-mini"}';
    assert.equal(answerModel(body), 'gpt-4o-mini');
    assert.equal(answerModel(new TextEncoder().encode('{"model":"glm-4-air","choices":[]}')), 'glm-4-air');
  });

  it('is null for an answer that names none, names an empty or non-text one, or is not JSON', () => {
    for (const body of ['{"id":"x"}', '{"model":""}', '{"model":4}', 'null', '[]', 'plain text', '']) {
      assert.equal(answerModel(body), null, body);
    }
  });

  it('searches only the head of an answer over 1 MiB, never parsing it whole', () => {
    const tail = 'y'.repeat(1 << 20);
    assert.equal(answerModel(`{"model":"m-large","x":"${tail}"}`), 'm-large');
    assert.equal(answerModel(`{"x":"${tail}","model":"m-late"}`), null);
  });
});
