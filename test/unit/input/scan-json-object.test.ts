import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scanJsonObject } from '../../../src/input/scan-json-object.ts';
import { createSeededRandom } from '../../../src/simulator/seeded-random.ts';

/** What the scan must agree with: `JSON.parse` takes the text as an object; and the member it would keep. */
function parseObject(text: string): { valid: boolean; usage?: unknown } {
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return { valid: false };
    return 'usage' in value ? { valid: true, usage: value.usage } : { valid: true };
  } catch {
    return { valid: false };
  }
}

function scan(text: string): { valid: boolean; usage?: unknown } {
  const bytes = Buffer.from(text);
  const result = scanJsonObject(bytes, 'usage');
  if (!result.valid) return { valid: false };
  if (result.member === undefined) return { valid: true };
  return { valid: true, usage: JSON.parse(bytes.toString('utf8', result.member.start, result.member.end)) };
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
  for (let index = Math.floor(random() * 4); index > 0; index--) {
    object[random() < 0.3 ? 'usage' : `k${String(index)}`] = randomValue(random, depth + 1);
  }
  return object;
}

describe('scanJsonObject', () => {
  it('accepts what JSON.parse takes as an object, and nothing else', () => {
    const valid = ['{}', ' {"a":1} ', '{"a":[1,-2.5e+3,true,false,null,"x\\u00e9\\n",{"b":{}}],"c":[]}', '{"":"é"}'];
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
    for (const text of valid) assert.equal(scan(text).valid, true, JSON.stringify(text));
    for (const text of invalid) assert.equal(scan(text).valid, false, JSON.stringify(text));
  });

  it('finds the top-level member JSON.parse keeps, never a nested one', () => {
    const text = '{"a":{"usage":1},"usage":{"prompt_tokens":3,"x":[{"usage":2}]},"b":[{"usage":4}],"usage":{"n":5}}';
    assert.deepEqual(scan(text), parseObject(text));
    assert.deepEqual(scan('{"a":{"usage":1}}'), { valid: true });
    assert.deepEqual(scan('{"usage" : 7 , "b":1}'), { valid: true, usage: 7 });
  });

  it('agrees with JSON.parse on random objects, pretty or not, and on one-character mutations of them', () => {
    const seed = Number(process.env['TEST_SEED'] ?? 20261129);
    const random = createSeededRandom(seed);
    for (let round = 0; round < 500; round++) {
      const value = { root: randomValue(random, 0), ...(random() < 0.5 ? { usage: randomValue(random, 1) } : {}) };
      const text = JSON.stringify(value, null, random() < 0.5 ? 0 : 2);
      assert.deepEqual(scan(text), parseObject(text), `seed ${String(seed)}: ${text}`);
      const at = Math.floor(random() * text.length);
      const replacement = ALPHABET[Math.floor(random() * ALPHABET.length)] ?? '';
      for (const mutated of [text.slice(0, at) + replacement + text.slice(at + 1), text.slice(0, at)]) {
        assert.equal(scan(mutated).valid, parseObject(mutated).valid, `seed ${String(seed)}: ${mutated}`);
      }
    }
  });

  it('checks a deeply nested object without running out of stack', () => {
    const depth = 200_000;
    assert.equal(scan(`{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`).valid, true);
    assert.equal(scan(`{"a":${'['.repeat(depth)}${']'.repeat(depth - 1)}}`).valid, false);
  });
});
