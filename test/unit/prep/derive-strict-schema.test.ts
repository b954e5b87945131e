import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deriveStrictSchema } from '../../../src/prep/derive-strict-schema.ts';

/** Issue 12 section 2: the strict form of a schema for `json_schema` + `strict: true`, with what was changed. */

describe('deriveStrictSchema', () => {
  it('closes objects, makes optional properties required and nullable, drops what strict mode refuses', () => {
    const result = deriveStrictSchema({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: {
        critique: { type: 'string', minLength: 200 },
        dims: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } }, minItems: 18 },
      },
      required: ['critique', 'dims'],
    });
    assert.equal(result.ok, true);
    if (!result.ok) return;
    assert.deepEqual(result.schema, {
      type: 'object',
      properties: {
        critique: { type: 'string' },
        dims: {
          type: 'array',
          items: {
            type: 'object',
            properties: { name: { anyOf: [{ type: 'string' }, { type: 'null' }] } },
            required: ['name'],
            additionalProperties: false,
          },
          minItems: 18,
        },
      },
      required: ['critique', 'dims'],
      additionalProperties: false,
    });
    assert.deepEqual(result.changes, [
      '/: set additionalProperties: false',
      '/critique: dropped minLength (checked locally)',
      '/dims/items: set additionalProperties: false',
      '/dims/items/name: optional, made required and nullable (null means absent)',
    ]);
  });

  it('has no strict form for an open map, oneOf or a root that is not an object', () => {
    assert.equal(deriveStrictSchema({ type: 'object', additionalProperties: { type: 'number' } }).ok, false);
    assert.equal(deriveStrictSchema({ type: 'object', properties: { a: { oneOf: [{ type: 'string' }] } } }).ok, false);
    assert.equal(deriveStrictSchema({ type: 'array', items: { type: 'string' } }).ok, false);
  });
});
