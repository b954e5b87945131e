import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { findJsonMember } from '../../../src/input/find-json-member.ts';

function memberText(text: string, name: string): string | undefined {
  const span = findJsonMember(text, name);
  return span === undefined ? undefined : text.slice(span.start, span.end);
}

describe('findJsonMember', () => {
  it('finds object, array, string and scalar values at the top level only', () => {
    const text = '{"a":{"body":1},"body":{"x":[1,{"y":"}"}]},"s":"q\\"}","n":-1.5e3,"t":true,"z":null,"e":[]}';
    assert.equal(memberText(text, 'body'), '{"x":[1,{"y":"}"}]}');
    assert.equal(memberText(text, 's'), '"q\\"}"');
    assert.equal(memberText(text, 'n'), '-1.5e3');
    assert.equal(memberText(text, 't'), 'true');
    assert.equal(memberText(text, 'z'), 'null');
    assert.equal(memberText(text, 'e'), '[]');
    assert.equal(memberText(text, 'y'), undefined);
    assert.equal(memberText(text, 'missing'), undefined);
  });

  it('copes with whitespace, escaped backslashes before quotes, and takes the last duplicate like JSON.parse', () => {
    const text = ' { "body" : 1 ,\t"k": "a\\\\", "body"\r\n:\n[ "x" , { } ] } ';
    assert.equal(memberText(text, 'body'), '[ "x" , { } ]');
    assert.deepEqual(JSON.parse(memberText(text, 'body')!), (JSON.parse(text) as { body: unknown }).body);
  });

  it('gives up when a top-level key is written with escapes, or the text is not an object', () => {
    assert.equal(memberText('{"bo\\u0064y":{"a":2},"body":{"a":1}}', 'body'), undefined);
    assert.equal(memberText('[{"body":1}]', 'body'), undefined);
    assert.equal(memberText('"body"', 'body'), undefined);
  });

  it('agrees with JSON.parse on generated lines', () => {
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const strings = ['', 'plain', 'quote " inside', 'back\\slash', 'ends with \\', '}{][,:', 'émoji 😀', '\u2028'];
    const randomValue = (depth: number): unknown => {
      const pick = Math.floor(random() * (depth > 2 ? 4 : 6));
      if (pick === 0) return strings[Math.floor(random() * strings.length)];
      if (pick === 1) return Math.round(random() * 1e6) / 100 - 500;
      if (pick === 2) return random() < 0.5 ? null : random() < 0.5;
      if (pick === 3) return strings[Math.floor(random() * strings.length)]!.repeat(3);
      if (pick === 4) return Array.from({ length: Math.floor(random() * 4) }, () => randomValue(depth + 1));
      const object: Record<string, unknown> = {};
      for (let index = 0; index < random() * 4; index++) {
        object[strings[Math.floor(random() * strings.length)]! + String(index)] = randomValue(depth + 1);
      }
      return object;
    };
    for (let round = 0; round < 500; round++) {
      const line = { custom_id: `c${round}`, body: randomValue(0), after: randomValue(1) };
      const text = JSON.stringify(line, null, round % 3 === 0 ? 1 : undefined);
      assert.deepEqual(JSON.parse(memberText(text, 'body')!), line.body, text);
      assert.deepEqual(JSON.parse(memberText(text, 'after')!), line.after, text);
    }
  });
});
