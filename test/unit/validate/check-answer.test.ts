import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { BatchpilotError } from '../../../src/errors/batchpilot-error.ts';
import type { AnswerCheck } from '../../../src/validate/answer-check.ts';
import { createAnswerChecker } from '../../../src/validate/check-answer.ts';
import { anthropicAnswer, chatAnswer, makePrompt, responsesAnswer } from './prompt-fixture.ts';

const SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: {
    polarity: { enum: ['positive', 'negative', 'neutral'] },
    score: { type: 'number', minimum: -1, maximum: 1 },
    topics: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } },
    contact: { type: 'string', format: 'email' },
  },
  required: ['polarity', 'score'],
  additionalProperties: false,
};
const VALID = { polarity: 'positive', score: 0.5, topics: [{ name: 'art' }] };

const checkJson = createAnswerChecker(makePrompt({ schema: SCHEMA }));

function issuesOf(check: AnswerCheck): string[] {
  return check.issues.map((issue) => `${issue.path}: ${issue.message}`);
}

describe('createAnswerChecker, format json', () => {
  it('is valid for a fitting answer, bare, fenced or in prose, from every provider shape', () => {
    for (const body of [
      chatAnswer(JSON.stringify(VALID)),
      chatAnswer(`\`\`\`json\n${JSON.stringify(VALID, null, 2)}\n\`\`\``),
      chatAnswer(`Here is my analysis: ${JSON.stringify(VALID)}. Let me know!`),
      responsesAnswer([{ type: 'output_text', text: JSON.stringify(VALID) }]),
      anthropicAnswer(JSON.stringify(VALID)),
    ]) {
      const check = checkJson(body);
      assert.equal(check.status, 'valid', `${body}: ${JSON.stringify(check.issues)}`);
      assert.deepEqual(check.value, VALID);
      assert.deepEqual(check.issues, []);
    }
  });

  it('is repaired (not valid) when the JSON only fits after jsonrepair, with the reason kept', () => {
    const check = checkJson(chatAnswer("{polarity: 'positive', score: 0.5,}"));
    assert.equal(check.status, 'repaired');
    assert.deepEqual(check.value, { polarity: 'positive', score: 0.5 });
    assert.equal(check.issues.length, 1);
    assert.equal(check.issues[0]!.path, '');
  });

  it('is invalid with each schema error at its JSON path', () => {
    const answer = { polarity: 'great', score: 3, topics: [{ name: 'art' }, { title: 'x' }], contact: 'nope', x: 1 };
    const check = checkJson(chatAnswer(JSON.stringify(answer)));
    assert.equal(check.status, 'invalid');
    assert.deepEqual(check.value, answer);
    assert.deepEqual(
      new Set(check.issues.map((issue) => issue.path)),
      new Set(['/polarity', '/score', '/topics/1/name', '/contact', '/x']),
    );
    assert.ok(issuesOf(check).includes('/topics/1/name: is required'), issuesOf(check).join('\n'));
    assert.ok(issuesOf(check).includes('/x: is not allowed'), issuesOf(check).join('\n'));
  });

  it('names a missing required property at its own path', () => {
    const check = checkJson(chatAnswer('{"polarity": "neutral"}'));
    assert.deepEqual(issuesOf(check), ['/score: is required']);
  });

  it('is invalid when a repaired value still breaks the schema, saying it was repaired', () => {
    const check = checkJson(chatAnswer("{polarity: 'great', score: 0}"));
    assert.equal(check.status, 'invalid');
    assert.equal(check.issues[0]!.path, '');
    assert.ok(check.issues.some((issue) => issue.path === '/polarity'));
  });

  it('is invalid when the answer holds no JSON, or the body is not an answer', () => {
    for (const body of [chatAnswer('I think it is positive.'), chatAnswer(''), chatAnswer(null), '<html>']) {
      const check = checkJson(body);
      assert.equal(check.status, 'invalid', body);
      assert.equal(check.value, undefined);
      assert.equal(check.issues.length, 1);
    }
  });

  it('is truncated for a cut answer of each provider, even when the cut text parses', () => {
    for (const body of [
      chatAnswer('{"polarity": "posi', { finish_reason: 'length' }),
      chatAnswer(JSON.stringify(VALID), { finish_reason: 'length' }),
      responsesAnswer([{ type: 'output_text', text: '{"polarity"' }], 'max_output_tokens'),
      anthropicAnswer('{"polarity"', 'max_tokens'),
    ]) {
      const check = checkJson(body);
      assert.equal(check.status, 'truncated', body);
      assert.equal(check.issues.length, 1);
    }
  });

  it('is refused for a refusal of each provider', () => {
    for (const body of [
      chatAnswer(null, { refusal: 'I cannot help with that.' }),
      chatAnswer('', { finish_reason: 'content_filter' }),
      responsesAnswer([{ type: 'refusal', text: 'I cannot help with that.' }]),
      anthropicAnswer('', 'refusal'),
    ]) {
      assert.equal(checkJson(body).status, 'refused', body);
    }
  });

  it('reads the choice asked for (samples with n), and a body kept as bytes', () => {
    const body = JSON.stringify({
      choices: [
        { index: 0, message: { content: '{"polarity": "neutral"}' }, finish_reason: 'stop' },
        { index: 1, message: { content: JSON.stringify(VALID) }, finish_reason: 'stop' },
      ],
    });
    assert.equal(checkJson(body).status, 'invalid');
    assert.equal(checkJson(body, undefined, 1).status, 'valid');
    assert.equal(checkJson(new TextEncoder().encode(chatAnswer(JSON.stringify(VALID)))).status, 'valid');
  });

  it('keeps the text it read', () => {
    assert.equal(checkJson(chatAnswer('prose {"a": 1}')).text, 'prose {"a": 1}');
  });

  it('takes a schema of another draft as 2020-12 and lets unknown keywords through', () => {
    const checker = createAnswerChecker(
      makePrompt({
        schema: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', 'x-ui': 1, required: ['a'] },
      }),
    );
    assert.equal(checker(chatAnswer('{"a": 1}')).status, 'valid');
    assert.equal(checker(chatAnswer('{}')).status, 'invalid');
  });

  it('compiles prompts whose schemas share an $id, and recursive schemas', () => {
    const first = createAnswerChecker(
      makePrompt({ schema: { $id: 'https://example.com/answer.json', type: 'object', required: ['a'] } }),
    );
    const second = createAnswerChecker(
      makePrompt({ schema: { $id: 'https://example.com/answer.json', type: 'object', required: ['b'] } }),
    );
    assert.equal(first(chatAnswer('{"a": 1}')).status, 'valid');
    assert.equal(second(chatAnswer('{"a": 1}')).status, 'invalid');
    const tree = createAnswerChecker(
      makePrompt({
        schema: {
          $id: 'https://example.com/tree.json',
          type: 'object',
          properties: { name: { type: 'string' }, children: { type: 'array', items: { $ref: '#' } } },
          required: ['name'],
        },
      }),
    );
    assert.equal(
      tree(chatAnswer('{"name": "a", "children": [{"name": "b", "children": [{"name": "c"}]}]}')).status,
      'valid',
    );
    assert.deepEqual(tree(chatAnswer('{"name": "a", "children": [{"children": []}]}')).issues, [
      { path: '/children/0/name', message: 'is required' },
    ]);
  });

  it('refuses a schema that does not compile with OUTPUT_SPEC_INVALID, naming the key', () => {
    assert.throws(
      () => createAnswerChecker(makePrompt({ schema: { type: 'objekt' } })),
      (error: unknown) =>
        error instanceof BatchpilotError &&
        error.code === 'OUTPUT_SPEC_INVALID' &&
        error.context.key === 'prompts.critique.output.schema',
    );
  });
});

describe('createAnswerChecker, checks', () => {
  const critique = (length: number): string => '构图与色彩'.repeat(Math.ceil(length / 5)).slice(0, length);

  it('min_length counts characters (code points): Chinese per character, emoji as one', () => {
    const checker = createAnswerChecker(makePrompt({ checks: [{ path: 'critique_zh', min_length: 200 }] }));
    assert.equal(checker(chatAnswer(JSON.stringify({ critique_zh: critique(200) }))).status, 'valid');
    const short = checker(chatAnswer(JSON.stringify({ critique_zh: critique(199) })));
    assert.equal(short.status, 'invalid');
    assert.deepEqual(
      short.issues.map((issue) => issue.path),
      ['/critique_zh'],
    );
    // 199 CJK characters and one emoji: 200 characters, 201 UTF-16 units.
    assert.equal(checker(chatAnswer(JSON.stringify({ critique_zh: `${critique(199)}😀` }))).status, 'valid');
    assert.equal(checker(chatAnswer(JSON.stringify({ critique_zh: '😀'.repeat(150) }))).status, 'invalid');
    assert.equal(checker(chatAnswer('{}')).status, 'invalid');
    assert.equal(checker(chatAnswer('{"critique_zh": 5}')).status, 'invalid');
  });

  it('min_items counts array items at a nested path (pointer or dotted)', () => {
    for (const path of ['/review/covered_dimensions', 'review.covered_dimensions']) {
      const checker = createAnswerChecker(makePrompt({ checks: [{ path, min_items: 18 }] }));
      const answer = (count: number): string =>
        chatAnswer(JSON.stringify({ review: { covered_dimensions: Array.from({ length: count }, (_, i) => i) } }));
      assert.equal(checker(answer(18)).status, 'valid', path);
      const check = checker(answer(17));
      assert.equal(check.status, 'invalid', path);
      assert.deepEqual(
        check.issues.map((issue) => issue.path),
        ['/review/covered_dimensions'],
      );
    }
  });

  it('covers: every value of the row field appears in the array, or among the keys of an object', () => {
    const checker = createAnswerChecker(makePrompt({ checks: [{ path: 'dimensions', covers: 'row.required' }] }));
    const row = { required: ['composition', '色彩', 'light'] };
    assert.equal(checker(chatAnswer('{"dimensions": ["Composition", "色彩", " light ", "x"]}'), row).status, 'valid');
    assert.equal(checker(chatAnswer('{"dimensions": {"composition": 1, "色彩": 2, "light": 3}}'), row).status, 'valid');
    const missing = checker(chatAnswer('{"dimensions": ["composition"]}'), row);
    assert.equal(missing.status, 'invalid');
    assert.deepEqual(
      missing.issues.map((issue) => issue.path),
      ['/dimensions'],
    );
    assert.match(missing.issues[0]!.message, /色彩/);
    // Items that are objects cover the values of their fields.
    const objects = '{"dimensions": [{"name": "composition", "score": 3}, {"name": "色彩"}, {"name": "Light"}]}';
    assert.equal(checker(chatAnswer(objects), row).status, 'valid');
    // The row's list as a CSV column holds it: a comma-separated string, or a JSON array in a string.
    assert.equal(checker(chatAnswer('{"dimensions": ["a", "b"]}'), { required: 'a, b' }).status, 'valid');
    assert.equal(checker(chatAnswer('{"dimensions": ["a"]}'), { required: '["a", "b"]' }).status, 'invalid');
    // A long list of missing values is named up to 20, with the count of the rest.
    const many = { required: Array.from({ length: 25 }, (_, index) => `d${index}`) };
    const message = checker(chatAnswer('{"dimensions": []}'), many).issues[0]!.message;
    assert.match(message, /25 values/);
    assert.match(message, /"d19" and 5 more$/);
    // Without the row field nothing can be shown covered.
    assert.equal(checker(chatAnswer('{"dimensions": ["a"]}'), {}).status, 'invalid');
    assert.equal(checker(chatAnswer('{"dimensions": ["a"]}')).status, 'invalid');
  });

  it('required: present and not empty', () => {
    const checker = createAnswerChecker(makePrompt({ checks: [{ path: '/summary', required: true }] }));
    assert.equal(checker(chatAnswer('{"summary": "ok"}')).status, 'valid');
    for (const value of ['null', '""', '"  "', '[]', '{}']) {
      assert.equal(checker(chatAnswer(`{"summary": ${value}}`)).status, 'invalid', value);
    }
    assert.deepEqual(checker(chatAnswer('{}')).issues, [{ path: '/summary', message: 'is required' }]);
  });

  it('reports schema and check issues together', () => {
    const checker = createAnswerChecker(makePrompt({ schema: SCHEMA, checks: [{ path: 'topics', min_items: 2 }] }));
    const check = checker(chatAnswer('{"polarity": "positive", "topics": [{"name": "a"}]}'));
    assert.deepEqual(
      check.issues.map((issue) => issue.path),
      ['/score', '/topics'],
    );
  });

  it('refuses a malformed check with OUTPUT_SPEC_INVALID', () => {
    for (const check of [
      { path: 'a', covers: 'required_dimensions' },
      { path: 'a', min_length: -1 },
      { path: 'a', min_items: 1.5 },
    ]) {
      assert.throws(
        () => createAnswerChecker(makePrompt({ checks: [check] })),
        (error: unknown) => error instanceof BatchpilotError && error.code === 'OUTPUT_SPEC_INVALID',
        JSON.stringify(check),
      );
    }
  });
});

describe('createAnswerChecker, format text', () => {
  const checker = createAnswerChecker(makePrompt({ format: 'text', checks: [{ path: '', min_length: 10 }] }));

  it('takes the text itself as the value, checks on the root path', () => {
    const check = checker(chatAnswer('一幅安静而克制的画作。'));
    assert.equal(check.status, 'valid');
    assert.equal(check.value, '一幅安静而克制的画作。');
    const short = checker(chatAnswer('太短了'));
    assert.equal(short.status, 'invalid');
    assert.deepEqual(
      short.issues.map((issue) => issue.path),
      [''],
    );
  });

  it('does not look for JSON, and an empty text is invalid', () => {
    assert.equal(checker(chatAnswer('{"not": "parsed, just text"}')).value, '{"not": "parsed, just text"}');
    assert.equal(createAnswerChecker(makePrompt({ format: 'text' }))(chatAnswer('  ')).status, 'invalid');
  });

  it('still tells truncated and refused apart', () => {
    assert.equal(checker(chatAnswer('a long text that was', { finish_reason: 'length' })).status, 'truncated');
    assert.equal(checker(anthropicAnswer('', 'refusal')).status, 'refused');
  });
});
