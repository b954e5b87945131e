import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { createSeededRandom, generateSchemaValue } from '../../../src/simulator/index.ts';
import { SCHEMAS } from '../../fixtures/structured/schemas.ts';
import { createTestSeed } from '../../helpers/test-seed.ts';

const seed = createTestSeed(import.meta.url);
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats.default(ajv);

describe('generateSchemaValue', () => {
  for (const [name, schema] of Object.entries(SCHEMAS)) {
    it(`fits the ${name} schema for 200 seeds`, () => {
      const validate = ajv.compile(schema);
      for (let round = 0; round < 200; round += 1) {
        const valueSeed = seed.derive(round);
        const value = generateSchemaValue(schema, { random: createSeededRandom(valueSeed) });
        assert.ok(
          validate(value),
          `${name}, value seed ${String(valueSeed)}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value)}\n${seed.note}`,
        );
      }
    });
  }

  it('draws the same value from the same seed', () => {
    for (const schema of Object.values(SCHEMAS)) {
      const first = generateSchemaValue(schema, { random: createSeededRandom(seed.seed) });
      const second = generateSchemaValue(schema, { random: createSeededRandom(seed.seed) });
      assert.deepEqual(first, second, seed.note);
    }
  });

  it('writes Chinese text where the name or description hints it', () => {
    const value = generateSchemaValue(SCHEMAS['artCritique']!, { random: createSeededRandom(seed.seed) }) as {
      critique_zh: string;
    };
    assert.match(value.critique_zh, /^[\u4e00-\u9fff]{200,}$/u, seed.note);
  });

  it('short mode draws strings under their minLength and arrays under their minItems', () => {
    const validate = ajv.compile(SCHEMAS['artCritique']!);
    for (let round = 0; round < 50; round += 1) {
      const value = generateSchemaValue(SCHEMAS['artCritique']!, {
        random: createSeededRandom(seed.derive(round)),
        short: true,
      }) as { critique_zh: string; covered_dimensions: unknown[] };
      assert.ok([...value.critique_zh].length < 200, seed.note);
      assert.ok(value.covered_dimensions.length < 18, seed.note);
      assert.equal(validate(value), false, seed.note);
      const keywords = new Set((validate.errors ?? []).map((error) => error.keyword));
      assert.deepEqual([...keywords].sort(), ['minItems', 'minLength'], seed.note);
    }
  });
});
