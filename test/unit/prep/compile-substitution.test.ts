import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Liquid } from 'liquidjs';
import { compileSubstitution } from '../../../src/prep/compile-substitution.ts';

/**
 * The substitution fast path must give Liquid's text byte for byte wherever it answers, and answer for the common
 * templates (text and plain variables), else prepare gains nothing from it.
 */

function engine(): Liquid {
  return new Liquid({ strictVariables: true, strictFilters: true, ownPropertyOnly: true });
}

/** Liquid's text, or the error's first line. */
function liquidText(liquid: Liquid, source: string, scope: Record<string, unknown>): string {
  try {
    return String(liquid.renderSync(liquid.parse(source), scope));
  } catch (error) {
    return `error: ${(error as Error).message.split('\n')[0] ?? ''}`;
  }
}

const ROW = {
  text: 'Rain again, "quoted" and \\ backslashed\nsecond line  ',
  lang: 'zh',
  likes: 42,
  ratio: -0.5,
  big: 1e21,
  flag: false,
  none: null,
  tags: ['a', 'b'],
  nested: { deep: { name: 'Anna' }, list: [1, 2], size: 7 },
  size: 'own size field',
  unicode: '评论 🎨',
  vacant: '',
};

const SUBSTITUTABLE = [
  'plain text, no variable',
  '',
  '{{ text }}',
  '{{text}}',
  'Post: {{ text }}\nLang: {{ lang }} ({{ likes }} likes, {{ ratio }}, {{ big }}, {{ flag }}, [{{ none }}])',
  'By {{ row.nested.deep.name }} in {{ row.lang }}: {{ row.text }}',
  '  {{- text -}}  \n\n {{ lang }}  ',
  'Critique: {{ unicode }}{{ vacant }}!',
  '{{ missing }}',
  '{{ nested.missing }}',
  '{{ row.missing.deeper }}',
  '{{ tags }}',
  '{{ nested }}',
  '{{ none.field }}',
];

const NOT_SUBSTITUTABLE = [
  '{{ text | upcase }}',
  '{% if lang == "zh" %}中文{% endif %}',
  '{{ tags.size }}',
  '{{ nested.size }}',
  '{{ tags.first }}',
  '{{ tags[0] }}',
  '{{ nested["deep"].name }}',
  '{{ "literal" }}',
  '{{ 3 }}',
  '{{ true }}',
  '{{ empty }}',
  '{% raw %}{{ text }}{% endraw %}',
  '{% comment %}x{% endcomment %}{{ text }}',
];

describe('compileSubstitution', () => {
  it('renders text and plain variables as Liquid does, or leaves the row to Liquid', () => {
    const liquid = engine();
    const scope = { ...ROW, row: ROW };
    for (const source of SUBSTITUTABLE) {
      const render = compileSubstitution(liquid, liquid.parse(source));
      assert.ok(render !== null, `"${source}" is substitutable`);
      const fast = render(scope);
      const expected = liquidText(liquid, source, scope);
      if (fast === undefined) {
        // Left to Liquid: only where a value is not plain (a missing field, an array, an object, a step on null).
        assert.match(source, /missing|tags|nested \}|none\./, `"${source}" fell back: ${expected}`);
      } else {
        assert.equal(fast, expected, `"${source}"`);
      }
    }
  });

  it('answers for the plain variables of a row, a number and a null included', () => {
    const liquid = engine();
    const render = compileSubstitution(liquid, liquid.parse('{{ likes }}/{{ none }}/{{ row.flag }}'));
    assert.equal(render?.({ likes: 42, none: null, row: { flag: true } }), '42//true');
  });

  it('leaves a row whose field is not a plain object to Liquid (a Date from Parquet, an array on the way)', () => {
    const liquid = engine();
    const render = compileSubstitution(liquid, liquid.parse('{{ when }} {{ a.b }}'));
    assert.equal(render?.({ when: new Date(0), a: { b: 'x' } }), undefined);
    assert.equal(render?.({ when: 'then', a: [{ b: 'x' }] }), undefined);
    assert.equal(render?.({ when: 'then', a: { b: 'x' } }), 'then x');
  });

  it('is null for a template with a tag, a filter, a literal, an index or size/first/last', () => {
    const liquid = engine();
    for (const source of NOT_SUBSTITUTABLE) {
      assert.equal(compileSubstitution(liquid, liquid.parse(source)), null, `"${source}"`);
    }
  });
});
