import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { PreparedRequest } from '../../../src/core/item.ts';
import { toStoredCheck, type AnswerCheck } from '../../../src/validate/answer-check.ts';
import { buildReask, decideReask, FEEDBACK_OPENING } from '../../../src/validate/build-reask.ts';
import { createAnswerChecker } from '../../../src/validate/check-answer.ts';
import { createTestSeed } from '../../helpers/test-seed.ts';
import { chatAnswer, makePrompt } from './prompt-fixture.ts';

const MESSAGES = [
  { role: 'system', content: 'You are a careful annotator. Answer with JSON only.' },
  { role: 'user', content: 'Critique the painting "Sunrise".' },
];

function chatRequest(extra: Record<string, unknown> = {}): PreparedRequest {
  const body = { model: 'glm-4-air', messages: MESSAGES, temperature: 0.2, max_tokens: 1024, ...extra };
  return { method: 'POST', url: '/v1/chat/completions', body: JSON.stringify(body) };
}

function bodyOf(request: PreparedRequest): Record<string, unknown> {
  return JSON.parse(request.body) as Record<string, unknown>;
}

const TRUNCATED: AnswerCheck = { status: 'truncated', issues: [{ path: '', message: 'cut' }], text: '{"a":' };

describe('buildReask: truncated', () => {
  const prompt = makePrompt({}, { truncated_max_tokens: 5000 });
  const previous = { responseBody: chatAnswer('{"a":', { finish_reason: 'length' }), check: TRUNCATED };

  it('doubles max_tokens per re-ask up to the ceiling, everything else the same', () => {
    const limits = [1, 2, 3].map(
      (reaskNo) => bodyOf(buildReask(chatRequest(), prompt, previous, reaskNo))['max_tokens'],
    );
    assert.deepEqual(limits, [2048, 4096, 5000]);
    const { max_tokens: _limit, ...rest } = bodyOf(buildReask(chatRequest(), prompt, previous, 1));
    const { max_tokens: _original, ...originalRest } = bodyOf(chatRequest());
    assert.deepEqual(rest, originalRest);
    const request = buildReask(chatRequest(), prompt, previous, 1);
    assert.equal(request.url, '/v1/chat/completions');
    assert.equal(request.method, 'POST');
  });

  it('raises the key the request uses: max_completion_tokens, or max_output_tokens for Responses', () => {
    const completion = {
      method: 'POST',
      url: '/v1/chat/completions',
      body: JSON.stringify({ max_completion_tokens: 300, messages: MESSAGES }),
    } as const;
    assert.deepEqual(bodyOf(buildReask(completion, prompt, previous, 2)), {
      max_completion_tokens: 1200,
      messages: MESSAGES,
    });
    const responses = {
      method: 'POST',
      url: '/v1/responses',
      body: JSON.stringify({ input: 'hi', max_output_tokens: 100 }),
    } as const;
    assert.equal(bodyOf(buildReask(responses, prompt, previous, 1))['max_output_tokens'], 200);
    const noLimit = { method: 'POST', url: '/v1/responses', body: JSON.stringify({ input: 'hi' }) } as const;
    assert.equal(bodyOf(buildReask(noLimit, prompt, previous, 1))['max_output_tokens'], 5000);
  });

  it('never lowers a limit already over the ceiling', () => {
    assert.equal(bodyOf(buildReask(chatRequest({ max_tokens: 8000 }), prompt, previous, 1))['max_tokens'], 8000);
  });
});

describe('buildReask: invalid', () => {
  const prompt = makePrompt({
    schema: { type: 'object', properties: { score: { type: 'number' } }, required: ['score'] },
    checks: [{ path: 'critique_zh', min_length: 200 }],
  });
  const answerText = 'Here: {"critique_zh": "太短"}';
  const responseBody = chatAnswer(answerText);
  const check = createAnswerChecker(prompt)(responseBody);

  it('feedback: the messages, the answer as an assistant turn, one user message listing each issue', () => {
    assert.equal(check.status, 'invalid');
    // As the store keeps it: no text; the answer is read from the body.
    const body = bodyOf(buildReask(chatRequest(), prompt, { responseBody, check: toStoredCheck(check) }, 1));
    const messages = body['messages'] as { role: string; content: string }[];
    assert.deepEqual(messages.slice(0, 2), MESSAGES);
    assert.deepEqual(messages[2], { role: 'assistant', content: answerText });
    assert.equal(messages.length, 4);
    const feedback = messages[3]!;
    assert.equal(feedback.role, 'user');
    assert.ok(feedback.content.startsWith(FEEDBACK_OPENING));
    assert.ok(feedback.content.startsWith('Your previous answer'));
    const lines = feedback.content.split('\n');
    for (const issue of check.issues) assert.ok(lines.includes(`- ${issue.path}: ${issue.message}`), feedback.content);
    assert.equal(lines.length, check.issues.length + 2, feedback.content);
    assert.match(lines.at(-1)!, /corrected answer only/);
    assert.equal(body['max_tokens'], 1024);
    assert.equal(body['seed'], undefined);
  });

  it('feedback on a Responses request extends its input', () => {
    const request = { method: 'POST', url: '/v1/responses', body: JSON.stringify({ input: 'Critique it.' }) } as const;
    const input = bodyOf(buildReask(request, prompt, { responseBody, check }, 1))['input'] as { role: string }[];
    assert.deepEqual(
      input.map((turn) => turn.role),
      ['user', 'assistant', 'user'],
    );
  });

  it('feedback names the whole answer as (root) and leaves out an empty answer turn', () => {
    const empty = createAnswerChecker(prompt)(chatAnswer(''));
    const body = bodyOf(buildReask(chatRequest(), prompt, { responseBody: chatAnswer(''), check: empty }, 1));
    const messages = body['messages'] as { role: string; content: string }[];
    assert.deepEqual(
      messages.map((message) => message.role),
      ['system', 'user', 'user'],
    );
    assert.match(messages[2]!.content, /^Your previous answer[^\n]*\n- \(root\): /);
  });

  it('resample: the same request with seed = the re-ask number, temperature kept', () => {
    const resample = makePrompt({}, { invalid: 'resample' });
    for (const reaskNo of [1, 2]) {
      const body = bodyOf(buildReask(chatRequest(), resample, { responseBody, check }, reaskNo));
      assert.deepEqual(body, { ...bodyOf(chatRequest()), seed: reaskNo });
    }
  });
});

describe('decideReask', () => {
  const check = (status: AnswerCheck['status']): AnswerCheck => ({ status, issues: [], text: '' });

  it('re-asks invalid and truncated answers while reask.max lasts, never valid or repaired ones', () => {
    const prompt = makePrompt({}, { max: 2 });
    assert.equal(decideReask(check('invalid'), prompt, 0), 'invalid');
    assert.equal(decideReask(check('truncated'), prompt, 1), 'truncated');
    assert.equal(decideReask(check('invalid'), prompt, 2), null);
    assert.equal(decideReask(check('valid'), prompt, 0), null);
    assert.equal(decideReask(check('repaired'), prompt, 0), null);
  });

  it('re-asks a refusal only when reask.refused, as a resample', () => {
    assert.equal(decideReask(check('refused'), makePrompt({}, { refused: false }), 0), null);
    const prompt = makePrompt({}, { refused: true });
    assert.equal(decideReask(check('refused'), prompt, 0), 'refused');
    const refusal = { responseBody: chatAnswer(null, { refusal: 'No.' }), check: check('refused') };
    assert.equal(bodyOf(buildReask(chatRequest(), prompt, refusal, 1))['seed'], 1);
  });
});

describe('buildReask, any request (seeded)', () => {
  it('a truncated re-ask never lowers the limit, stays at or under the ceiling unless the original was over it, and doubles while it can', () => {
    const seed = createTestSeed(import.meta.url);
    const truncated = { responseBody: chatAnswer('{', { finish_reason: 'length' }), check: TRUNCATED };
    for (let round = 0; round < 500; round += 1) {
      const original = seed.between(1, 10_000);
      const ceiling = seed.between(1, 20_000);
      const reaskNo = seed.between(1, 6);
      const key = (['max_tokens', 'max_completion_tokens', 'max_output_tokens'] as const)[seed.between(0, 2)]!;
      const request = chatRequest({ max_tokens: undefined, [key]: original });
      const prompt = makePrompt({}, { truncated_max_tokens: ceiling });
      const raised = bodyOf(buildReask(request, prompt, truncated, reaskNo))[key] as number;
      const story = `original ${original}, ceiling ${ceiling}, re-ask ${reaskNo}, key ${key}: got ${raised}\n${seed.note}`;
      assert.ok(raised >= original, story);
      assert.ok(raised <= Math.max(original, ceiling), story);
      assert.equal(raised, Math.max(original, Math.min(original * 2 ** reaskNo, ceiling)), story);
    }
  });
});

describe('buildReask: one answer per re-ask', () => {
  // Every kind of re-ask, from a request line that asked for three choices.
  const invalid: AnswerCheck = { status: 'invalid', issues: [{ path: '/a', message: 'is required' }], text: '{}' };
  const refused: AnswerCheck = { status: 'refused', issues: [{ path: '', message: 'refused' }], text: '' };
  const cases = [
    {
      name: 'truncated',
      prompt: makePrompt(),
      check: TRUNCATED,
      answer: chatAnswer('{"a":', { finish_reason: 'length' }),
    },
    { name: 'feedback', prompt: makePrompt(), check: invalid, answer: chatAnswer('{}') },
    { name: 'resample', prompt: makePrompt({}, { invalid: 'resample' }), check: invalid, answer: chatAnswer('{}') },
    {
      name: 'refused',
      prompt: makePrompt({}, { refused: true }),
      check: refused,
      answer: chatAnswer(null, { refusal: 'no' }),
    },
  ];
  for (const { name, prompt, check, answer } of cases) {
    it(`never carries n (${name})`, () => {
      const request = buildReask(
        chatRequest({ n: 3 }),
        prompt,
        { responseBody: answer, check: toStoredCheck(check) },
        1,
      );
      assert.equal('n' in bodyOf(request), false, request.body);
    });
  }
});
