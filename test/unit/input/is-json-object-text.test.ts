import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isJsonObjectText } from '../../../src/input/is-json-object-text.ts';
import { createSeededRandom } from '../../../src/simulator/seeded-random.ts';

/** What the scan must agree with: `JSON.parse` accepts the text and it is an object. */
function parsesToObject(text: string): boolean {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

const ALPHABET = [
  '{',
  '}',
  '[',
  ']',
  '"',
  '\\',
  ':',
  ',',
  ' ',
  '\n',
  '0',
  '1',
  '-',
  '.',
  'e',
  't',
  'n',
  'u',
  'x',
  '\u0001',
];

function randomValue(random: () => number, depth: number): unknown {
  const pick = Math.floor(random() * (depth > 3 ? 4 : 6));
  if (pick === 0) return Math.round((random() - 0.5) * 1e6) / (random() < 0.5 ? 1 : 1000);
  if (pick === 1) return ['', 'a"b', 'c\\d', 'é\n\t', '\u2028x', 'plain'][Math.floor(random() * 6)];
  if (pick === 2) return random() < 0.5;
  if (pick === 3) return null;
  if (pick === 4) return Array.from({ length: Math.floor(random() * 4) }, () => randomValue(random, depth + 1));
  const object: Record<string, unknown> = {};
  for (let index = Math.floor(random() * 4); index > 0; index--)
    object[`k${String(index)}`] = randomValue(random, depth + 1);
  return object;
}

describe('isJsonObjectText', () => {
  it('accepts what JSON.parse takes as an object, and nothing else', () => {
    const valid = ['{}', ' {"a":1} ', '{"a":[1,-2.5e+3,true,false,null,"x\\u00e9\\n",{"b":{}}],"c":[]}', '{"":""}'];
    const invalid = [
      '',
      '[]',
      '"x"',
      '1',
      '{',
      '{"a"}',
      '{"a":}',
      '{"a":1,}',
      '[1,]',
      '{"a":01}',
      '{"a":1.}',
      '{"a":tru}',
    ];
    invalid.push('{"a":"\u0001"}', '{"a":"\\x"}', '{"a":"\\u12"}', '{"a":1}x', '{"a":1}{}', "{'a':1}", '{"a":[1 2]}');
    for (const text of valid) assert.equal(isJsonObjectText(text), true, JSON.stringify(text));
    for (const text of invalid) assert.equal(isJsonObjectText(text), false, JSON.stringify(text));
  });

  it('agrees with JSON.parse on random objects, pretty or not, and on every one-character mutation of them', () => {
    const seed = Number(process.env['TEST_SEED'] ?? 20261129);
    const random = createSeededRandom(seed);
    for (let round = 0; round < 400; round++) {
      const value = { root: randomValue(random, 0) };
      const text = JSON.stringify(value, null, random() < 0.5 ? 0 : 2);
      assert.equal(isJsonObjectText(text), true, `seed ${String(seed)}: ${text}`);
      const at = Math.floor(random() * text.length);
      const replacement = ALPHABET[Math.floor(random() * ALPHABET.length)] ?? '';
      for (const mutated of [text.slice(0, at) + replacement + text.slice(at + 1), text.slice(0, at)]) {
        assert.equal(isJsonObjectText(mutated), parsesToObject(mutated), `seed ${String(seed)}: ${mutated}`);
      }
    }
  });

  it('checks a deeply nested object without running out of stack', () => {
    const depth = 200_000;
    assert.equal(isJsonObjectText(`{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`), true);
    assert.equal(isJsonObjectText(`{"a":${'['.repeat(depth)}${']'.repeat(depth - 1)}}`), false);
  });
});
