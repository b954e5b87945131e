import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import {
  type StructuredKind,
  type StructuredRates,
  buildStructuredAnswer,
  readStructuredRequest,
  resolveSimulatorOptions,
} from '../../../src/simulator/index.ts';
import { SCHEMAS } from '../../fixtures/structured/schemas.ts';
import { createTestSeed } from '../../helpers/test-seed.ts';

const seed = createTestSeed(import.meta.url);
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats.default(ajv);
const SCHEMA = SCHEMAS['artCritique']!;

function chatBody(index: number, extra: Record<string, unknown> = {}, userText = `Post ${String(index)}`) {
  return {
    model: 'glm-4-air',
    messages: [{ role: 'user', content: userText }],
    response_format: { type: 'json_schema', json_schema: { name: 'critique', strict: true, schema: SCHEMA } },
    ...extra,
  };
}

function answerFor(body: Record<string, unknown>, rates: StructuredRates) {
  const request = readStructuredRequest('chat/completions', body);
  assert.ok(request !== undefined, seed.note);
  return buildStructuredAnswer(request, body, {
    rates: resolveSimulatorOptions({ structured: rates }).structured,
    seed: seed.seed,
  });
}

describe('readStructuredRequest', () => {
  it('reads the schema of response_format, text.format and output_config, and json_object without one', () => {
    assert.deepEqual(readStructuredRequest('chat/completions', chatBody(1)), { schema: SCHEMA, reask: false });
    const textFormat = { model: 'm', input: 'x', text: { format: { type: 'json_schema', name: 'n', schema: SCHEMA } } };
    assert.deepEqual(readStructuredRequest('responses', textFormat), { schema: SCHEMA, reask: false });
    const anthropic = {
      model: 'c',
      messages: [{ role: 'user', content: 'x' }],
      output_config: { format: { type: 'json_schema', schema: SCHEMA } },
    };
    assert.deepEqual(readStructuredRequest('chat/completions', anthropic), { schema: SCHEMA, reask: false });
    const jsonObject = { messages: [{ role: 'user', content: 'x' }], response_format: { type: 'json_object' } };
    assert.deepEqual(readStructuredRequest('chat/completions', jsonObject), { schema: undefined, reask: false });
  });

  it('reads the marker in system or user text, and a schema fenced after `Schema:`', () => {
    const marker = {
      messages: [
        { role: 'system', content: 'Answer with JSON only.' },
        { role: 'user', content: 'x' },
      ],
    };
    assert.deepEqual(readStructuredRequest('chat/completions', marker), { schema: undefined, reask: false });
    const fenced = {
      messages: [
        { role: 'user', content: `Answer with JSON.\nSchema:\n\`\`\`json\n${JSON.stringify(SCHEMA)}\n\`\`\`\n` },
      ],
    };
    assert.deepEqual(readStructuredRequest('chat/completions', fenced), { schema: SCHEMA, reask: false });
    assert.equal(readStructuredRequest('chat/completions', { messages: [{ role: 'user', content: 'hi' }] }), undefined);
    assert.equal(readStructuredRequest('completions', { prompt: 'Answer with JSON' }), undefined);
  });

  it('tells a feedback re-ask by its last user message', () => {
    const body = chatBody(1, {
      messages: [
        { role: 'user', content: 'Post 1' },
        { role: 'assistant', content: '{}' },
        { role: 'user', content: 'Your previous answer did not pass validation: /rating is required.' },
      ],
    });
    assert.equal(readStructuredRequest('chat/completions', body)?.reask, true);
  });
});

describe('buildStructuredAnswer', () => {
  const validate = ajv.compile(SCHEMA);

  it('answers JSON that fits the schema, the same for the same request', () => {
    for (let index = 0; index < 50; index += 1) {
      const answer = answerFor(chatBody(index), {});
      assert.equal(answer.kind, 'valid', seed.note);
      assert.equal(answer.finishReason, 'stop', seed.note);
      const value: unknown = JSON.parse(answer.content!);
      assert.ok(validate(value), `${ajv.errorsText(validate.errors)}\n${seed.note}`);
      assert.deepEqual(answerFor(chatBody(index), {}), answer, seed.note);
    }
    assert.notEqual(answerFor(chatBody(1), {}).content, answerFor(chatBody(2), {}).content, seed.note);
  });

  it('answers a small object without a schema', () => {
    const body = { messages: [{ role: 'user', content: 'x' }], response_format: { type: 'json_object' } };
    const request = readStructuredRequest('chat/completions', body)!;
    const answer = buildStructuredAnswer(request, body, { rates: resolveSimulatorOptions().structured, seed: 1 });
    assert.equal(typeof JSON.parse(answer.content!), 'object');
  });

  const faults: {
    rates: StructuredRates;
    kind: StructuredKind;
    check: (answer: ReturnType<typeof answerFor>) => void;
  }[] = [
    {
      rates: { invalidJson: 1 },
      kind: 'invalidJson',
      check: (answer) => assert.throws(() => JSON.parse(answer.content!) as unknown, SyntaxError),
    },
    {
      rates: { schemaBreak: 1 },
      kind: 'schemaBreak',
      check: (answer) => {
        assert.equal(validate(JSON.parse(answer.content!)), false);
        const keywords = (validate.errors ?? []).map((error) => error.keyword);
        assert.ok(keywords.includes('required') || keywords.includes('type'), keywords.join());
      },
    },
    {
      rates: { shortText: 1 },
      kind: 'shortText',
      check: (answer) => {
        assert.equal(validate(JSON.parse(answer.content!)), false);
        const keywords = new Set((validate.errors ?? []).map((error) => error.keyword));
        assert.deepEqual([...keywords].sort(), ['minItems', 'minLength']);
      },
    },
    {
      rates: { truncated: 1 },
      kind: 'truncated',
      check: (answer) => {
        assert.equal(answer.finishReason, 'length');
        assert.throws(() => JSON.parse(answer.content!) as unknown, SyntaxError);
        assert.ok(answer.content!.startsWith('{"'));
      },
    },
    {
      rates: { refusal: 1 },
      kind: 'refusal',
      check: (answer) => {
        assert.equal(answer.content, null);
        assert.equal(typeof answer.refusal, 'string');
        assert.equal(answer.finishReason, 'stop');
      },
    },
  ];
  for (const { rates, kind, check } of faults) {
    it(`answers ${kind} at rate 1`, () => {
      for (let index = 0; index < 20; index += 1) {
        const answer = answerFor(chatBody(index), rates);
        assert.equal(answer.kind, kind, seed.note);
        try {
          check(answer);
        } catch (error) {
          if (error instanceof Error) error.message += `\nrequest ${String(index)}, ${seed.note}`;
          throw error;
        }
      }
    });
  }

  it('draws each fault at about its rate, the same for the same seed', () => {
    const rates = { invalidJson: 0.1, schemaBreak: 0.1, shortText: 0.1, truncated: 0.1, refusal: 0.1 };
    const counts = new Map<StructuredKind, number>();
    for (let index = 0; index < 2000; index += 1) {
      const kind = answerFor(chatBody(index), rates).kind;
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
    }
    for (const kind of ['invalidJson', 'schemaBreak', 'shortText', 'truncated', 'refusal'] as const) {
      const count = counts.get(kind) ?? 0;
      assert.ok(count > 120 && count < 290, `${kind}: ${String(count)} of 2000\n${seed.note}`);
    }
    const valid = counts.get('valid') ?? 0;
    assert.ok(valid > 880 && valid < 1120, `valid: ${String(valid)} of 2000\n${seed.note}`);
  });

  it('answers a re-ask valid at reaskFixRate, faulty otherwise', () => {
    const reask = (index: number) =>
      chatBody(index, {
        messages: [
          { role: 'user', content: `Post ${String(index)}` },
          { role: 'assistant', content: 'not json' },
          { role: 'user', content: 'Your previous answer could not be parsed as JSON. Answer again.' },
        ],
      });
    let fixed = 0;
    for (let index = 0; index < 1000; index += 1) {
      const answer = answerFor(reask(index), { schemaBreak: 0.05 });
      assert.equal(answer.reask, true, seed.note);
      if (answer.kind === 'valid') fixed += 1;
      else assert.equal(answer.kind, 'schemaBreak', seed.note);
    }
    assert.ok(fixed > 750 && fixed < 850, `fixed ${String(fixed)} of 1000 at the default 0.8\n${seed.note}`);
    for (let index = 0; index < 50; index += 1) {
      assert.equal(answerFor(reask(index), { reaskFixRate: 1, refusal: 1 }).kind, 'valid', seed.note);
      assert.equal(answerFor(reask(index), { reaskFixRate: 0 }).kind, 'schemaBreak', seed.note);
    }
  });
});
