import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JSON_OBJECT_INSTRUCTION } from '../../../src/providers/anthropic/to-anthropic-output.ts';
import { toMessagesParams } from '../../../src/providers/anthropic/to-messages-params.ts';

const messages = [
  { role: 'system', content: 'You are a careful annotator.' },
  { role: 'user', content: 'Rate this post.' },
];

const strictSchema = {
  type: 'object',
  properties: {
    polarity: { type: 'string', enum: ['positive', 'neutral', 'negative'] },
    score: { type: 'number', minimum: -1, maximum: 1 },
    tags: { type: 'array', items: { type: 'string' }, minItems: 18 },
    note: { anyOf: [{ type: 'string' }, { type: 'null' }] },
  },
  required: ['polarity', 'score', 'tags', 'note'],
  additionalProperties: false,
};

function convert(body: Record<string, unknown>) {
  return toMessagesParams(JSON.stringify({ model: 'claude-sonnet-5', messages, ...body }), 1024);
}

describe('toMessagesParams: response_format the Anthropic way', () => {
  it('sends a strict json_schema as output_config.format, keeping what the decoder takes', () => {
    const params = convert({
      response_format: { type: 'json_schema', json_schema: { name: 'sentiment', strict: true, schema: strictSchema } },
    });
    assert.equal('response_format' in params, false);
    assert.equal(params.system, 'You are a careful annotator.');
    assert.deepEqual(params.output_config, {
      format: {
        type: 'json_schema',
        schema: {
          type: 'object',
          properties: {
            polarity: { enum: ['positive', 'neutral', 'negative'] },
            // Constraints the decoder refuses are moved into the description, where the model still reads them.
            score: { type: 'number', description: '{minimum: -1, maximum: 1}' },
            tags: { type: 'array', items: { type: 'string' }, description: '{minItems: 18}' },
            note: { anyOf: [{ type: 'string' }, { type: 'null' }] },
          },
          additionalProperties: false,
          required: ['polarity', 'score', 'tags', 'note'],
        },
      },
    });
  });

  it('asks for json_object in the system text (the Messages API has no JSON mode)', () => {
    const params = convert({ response_format: { type: 'json_object' } });
    assert.equal(params.output_config, undefined);
    assert.equal(params.system, `You are a careful annotator.\n\n${JSON_OBJECT_INSTRUCTION}`);
    const bare = toMessagesParams(
      JSON.stringify({
        model: 'm',
        messages: [{ role: 'user', content: 'x' }],
        response_format: { type: 'json_object' },
      }),
      1,
    );
    assert.equal(bare.system, JSON_OBJECT_INSTRUCTION);
  });

  it('asks for a non-strict json_schema in the system text, with the schema', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    const params = convert({ response_format: { type: 'json_schema', json_schema: { name: 'x', schema } } });
    assert.equal(params.output_config, undefined);
    assert.ok(params.system?.endsWith(`\n${JSON.stringify(schema)}`), params.system);
    assert.ok(params.system?.startsWith(`You are a careful annotator.\n\n${JSON_OBJECT_INSTRUCTION}`), params.system);
  });

  it('falls back to the system text for a strict schema the transform cannot take', () => {
    for (const schema of [
      { type: 'object', properties: { anything: {} }, required: ['anything'], additionalProperties: false },
      {
        type: 'object',
        definitions: { tag: { type: 'string' } },
        properties: { tag: { $ref: '#/definitions/tag' } },
        required: ['tag'],
        additionalProperties: false,
      },
    ]) {
      const params = convert({
        response_format: { type: 'json_schema', json_schema: { name: 'x', strict: true, schema } },
      });
      assert.equal(params.output_config, undefined, JSON.stringify(schema));
      assert.ok(params.system?.includes(JSON.stringify(schema)), params.system);
    }
  });

  it('keeps an Anthropic-shaped output_config, its format yielding to response_format', () => {
    assert.deepEqual(convert({ output_config: { effort: 'low' } }).output_config, { effort: 'low' });
    const params = convert({
      output_config: { effort: 'low', format: { type: 'json_schema', schema: { type: 'object' } } },
      response_format: { type: 'json_schema', json_schema: { name: 'x', strict: true, schema: strictSchema } },
    });
    assert.equal(params.output_config?.['effort'], 'low');
    assert.deepEqual(Object.keys((params.output_config?.['format'] as { schema: object }).schema), [
      'type',
      'properties',
      'additionalProperties',
      'required',
    ]);
  });

  it('adds nothing for a text response_format or none', () => {
    for (const body of [{}, { response_format: { type: 'text' } }, { response_format: null }]) {
      const params = convert(body);
      assert.equal(params.output_config, undefined);
      assert.equal(params.system, 'You are a careful annotator.');
    }
  });
});
