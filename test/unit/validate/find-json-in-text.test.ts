import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { findBalancedSpans, findJsonInText } from '../../../src/validate/find-json-in-text.ts';
import { createTestSeed } from '../../helpers/test-seed.ts';

const VALUE = { title: 'Sunrise', scores: [1, 2, { deep: 'a } ] { [ "quoted" \\ brace' }], note: '```' };

function parsed(text: string): { source: string; value: unknown } {
  const found = findJsonInText(text);
  assert.equal(found.kind, 'parsed', `expected parsed JSON in ${JSON.stringify(text)}: ${JSON.stringify(found)}`);
  return found.kind === 'parsed' ? { source: found.source, value: found.value } : { source: '', value: undefined };
}

describe('findJsonInText', () => {
  it('takes a bare object or array, around whitespace and a BOM', () => {
    assert.deepEqual(parsed(`\n  ${JSON.stringify(VALUE, null, 2)}\n`), { source: 'bare', value: VALUE });
    assert.deepEqual(parsed('\uFEFF[1, 2]'), { source: 'bare', value: [1, 2] });
  });

  it('takes a fenced ```json block, before other fences and around prose', () => {
    const text = `Here you go:\n\`\`\`python\nprint({1: 2})\n\`\`\`\n\`\`\`json\n${JSON.stringify(VALUE)}\n\`\`\`\nDone.`;
    assert.deepEqual(parsed(text), { source: 'fenced', value: VALUE });
    assert.deepEqual(parsed('```\n{"a": 1}\n```'), { source: 'fenced', value: { a: 1 } });
    assert.deepEqual(parsed('```JSON  \n{"a": 1}\n```'), { source: 'fenced', value: { a: 1 } });
  });

  it('takes the first balanced object or array in prose that parses, braces inside strings ignored', () => {
    const text = `Sure! {not json} and [a note]. The answer: ${JSON.stringify(VALUE)} Hope it helps {"b": 2}.`;
    assert.deepEqual(parsed(text), { source: 'embedded', value: VALUE });
  });

  it('does not answer a broken object with an object nested in it: that one is repaired whole', () => {
    const found = findJsonInText('Result: {"a": 1 "inner": {"x": 1}}');
    assert.equal(found.kind, 'repaired');
    assert.deepEqual(found.kind === 'repaired' ? found.value : null, { a: 1, inner: { x: 1 } });
  });

  it('repairs JSON that does not parse and says so (never parsed)', () => {
    for (const [text, value] of [
      ["{'title': 'Sunrise', score: 3,}", { title: 'Sunrise', score: 3 }],
      ['```json\n{"a": [1, 2,]}\n```', { a: [1, 2] }],
      ['The JSON: {"a": "cut here', { a: 'cut here' }],
      ['See [note 1]. {"a": [1, 2], "b": {"c": 3}', { a: [1, 2], b: { c: 3 } }],
      ['Items: [{"a": 1}, {"a": 2}', [{ a: 1 }, { a: 2 }]],
      ['Items: [{"a": 1}, {"a": 2},] done', [{ a: 1 }, { a: 2 }]],
    ] as const) {
      const found = findJsonInText(text);
      assert.equal(found.kind, 'repaired', text);
      assert.deepEqual(found.kind === 'repaired' ? found.value : null, value, text);
      assert.ok(found.kind === 'repaired' && found.problem.length > 0);
    }
  });

  it('finds nothing in an empty answer or prose without an object or array', () => {
    assert.equal(findJsonInText('  ').kind, 'none');
    assert.equal(findJsonInText('I would rather not say.').kind, 'none');
  });

  it('stays bounded on an answer full of unmatched brackets', () => {
    const text = '{['.repeat(50_000);
    const spans = [...findBalancedSpans(text)];
    assert.deepEqual(spans, []);
    assert.notEqual(findJsonInText(text).kind, 'parsed');
  });

  it('finds any JSON value embedded in random prose, whatever the prose around it (seeded)', () => {
    const seed = createTestSeed(import.meta.url);
    const prose = ['Sure', 'the answer is', '(see below)', 'note: }', 'ok]', '"quoted"', '\n', 'done.', '→ 结果'];
    const pick = <T>(items: readonly T[]): T => items[Math.floor(seed.random() * items.length)]!;
    for (let round = 0; round < 300; round += 1) {
      const value = randomValue(() => seed.random(), 3);
      const json = JSON.stringify(value, null, seed.random() < 0.5 ? 2 : 0);
      const before = Array.from({ length: seed.between(0, 3) }, () => pick(prose.filter((p) => !/[{[]/.test(p))));
      const after = Array.from({ length: seed.between(0, 3) }, () => pick(prose));
      const fenced = seed.random() < 0.3;
      const text = [...before, fenced ? `\`\`\`json\n${json}\n\`\`\`` : json, ...after].join(' ');
      const found = findJsonInText(text);
      assert.equal(found.kind, 'parsed', `${JSON.stringify(text)}: ${JSON.stringify(found)}\n${seed.note}`);
      assert.deepEqual(found.kind === 'parsed' ? found.value : null, value, `${JSON.stringify(text)}\n${seed.note}`);
    }
  });
});

/** An object (or array at depth) with strings full of brackets, quotes, escapes and CJK text. */
function randomValue(random: () => number, depth: number): unknown {
  const strings = ['plain', 'a } b', '[x]', 'say "hi"', 'back\\slash', '批评：构图', '{"nested": 1}', '😀'];
  const leaf = (): unknown => {
    const roll = random();
    if (roll < 0.5) return strings[Math.floor(random() * strings.length)];
    if (roll < 0.7) return Math.round(random() * 1000) / 10;
    if (roll < 0.85) return random() < 0.5;
    return null;
  };
  const object: Record<string, unknown> = {};
  const size = 1 + Math.floor(random() * 4);
  for (let index = 0; index < size; index += 1) {
    const roll = random();
    object[`k${index}`] =
      depth > 0 && roll < 0.25
        ? randomValue(random, depth - 1)
        : depth > 0 && roll < 0.45
          ? [leaf(), randomValue(random, depth - 1)]
          : leaf();
  }
  return object;
}
