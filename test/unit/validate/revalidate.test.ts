import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { toStoredCheck } from '../../../src/validate/answer-check.ts';
import { createAnswerChecker } from '../../../src/validate/check-answer.ts';
import { createRevalidator } from '../../../src/validate/revalidate.ts';
import { chatAnswer, makePrompt } from './prompt-fixture.ts';

describe('createRevalidator', () => {
  const body = chatAnswer('{"critique": "short"}');
  const lenient = makePrompt({ checks: [{ path: 'critique', min_length: 3 }] });
  const strict = makePrompt({ checks: [{ path: 'critique', min_length: 50 }] });
  const stored = toStoredCheck(createAnswerChecker(lenient)(body));

  it('checks a stored answer again with the current rules and says whether its check changed', () => {
    assert.equal(stored.status, 'valid');
    assert.equal('text' in stored, false);
    const same = createRevalidator([lenient])({ prompt: 'critique', responseBody: body, previous: stored });
    assert.deepEqual(same.ok && { status: same.check.status, changed: same.changed }, {
      status: 'valid',
      changed: false,
    });
    const stricter = createRevalidator([strict])({ prompt: 'critique', responseBody: body, previous: stored });
    assert.deepEqual(stricter.ok && { status: stricter.check.status, changed: stricter.changed }, {
      status: 'invalid',
      changed: true,
    });
  });

  it('names a prompt the current rules no longer have', () => {
    const outcome = createRevalidator([strict])({ prompt: 'gone', responseBody: body });
    assert.deepEqual(outcome, { ok: false, reason: 'unknown_prompt', prompt: 'gone' });
  });
});
