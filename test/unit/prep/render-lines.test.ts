import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DataRow } from '../../../src/prep/data-row.ts';
import { DEFAULT_REASK, type PromptSet, type PromptSpec } from '../../../src/prep/prompt-spec.ts';
import { createRowRenderer } from '../../../src/prep/render-row.ts';

/**
 * `renderLines` (what prepare writes) serializes each prompt's constant JSON once and puts each row's text in its
 * place: its lines must be, byte for byte, `JSON.stringify` of `render`'s requests, whatever the text holds.
 */

const SCHEMA = {
  type: 'object',
  properties: { polarity: { enum: ['pos', 'neg'] }, note: { type: 'string', minLength: 2 } },
  required: ['polarity'],
};

function prompt(
  name: string,
  fields: Omit<Partial<PromptSpec>, 'output'> & { output?: Partial<PromptSpec['output']> },
): PromptSpec {
  const { output, ...rest } = fields;
  return {
    name,
    template: '{{ text }}',
    samples: 1,
    request: {},
    reask: { ...DEFAULT_REASK },
    ...rest,
    output: { format: 'text', checks: [], mode: 'provider', ...output },
  };
}

const PROMPTS: PromptSpec[] = [
  prompt('strict', {
    system: 'Be careful. Answer with JSON only.',
    model: 'gpt-4o-mini',
    request: { temperature: 0.2, max_tokens: 256 },
    output: { format: 'json', schema: SCHEMA },
  }),
  prompt('object', { output: { format: 'json' }, request: { seed: 7 } }),
  prompt('in_prompt', {
    template: 'About {{ row.text }}:',
    output: { format: 'json', mode: 'prompt', schema: SCHEMA },
  }),
  prompt('plain_text', { model: 'glm-4-air', samples: 3 }),
  // The mark the shape is cut at, in the prompt itself: serialized whole instead.
  prompt('holds_mark', { system: 'batchpilot-rendered-text-3f9d2c7a', output: { format: 'json', schema: SCHEMA } }),
  prompt('when_zh', { when: "row.lang == 'zh'" }),
  prompt('missing_var', { template: '{{ nowhere }}' }),
];

const SET: PromptSet = {
  prompts: PROMPTS,
  customIdFormat: '{prompt}_{index}',
  sourceFile: '/nonexistent/prompts.yaml',
  hash: 'test',
};

const TEXTS = [
  'plain words',
  'quotes " and \\ backslashes, a tab\tand\nnew lines\r\n',
  'controls \u0000\u0001\u001f and \u2028\u2029',
  'emoji 😀, CJK 你好, a lone high surrogate at the end \ud83d',
  '\udc00 a lone low surrogate at the start',
  'batchpilot-rendered-text-3f9d2c7a in a row',
  '',
];

describe('renderLines', () => {
  it('writes the bytes JSON.stringify writes of render’s requests, for every kind of prompt and text', () => {
    const renderer = createRowRenderer(SET);
    let compared = 0;
    TEXTS.forEach((text, index) => {
      const row: DataRow = {
        index,
        key: `r${String(index)}`,
        where: `line ${String(index + 1)}`,
        row: { text, lang: index % 2 === 0 ? 'zh' : 'en' },
      };
      for (const spec of PROMPTS) {
        const requests = renderer.render(spec, row, 4);
        const lines = renderer.renderLines(spec, row, 4);
        if (requests.kind !== 'requests') {
          assert.deepEqual(lines, requests, `${spec.name}, text ${String(index)}`);
          continue;
        }
        assert.equal(lines.kind, 'lines', `${spec.name}, text ${String(index)}`);
        if (lines.kind !== 'lines') continue;
        assert.deepEqual(
          lines.lines,
          requests.requests.map((request) => ({ customId: request.custom_id, line: JSON.stringify(request) })),
          `${spec.name}, text ${String(index)}`,
        );
        compared += lines.lines.length;
      }
    });
    // Every row renders strict, object, in_prompt, holds_mark once and plain_text three times; half get when_zh.
    assert.equal(compared, TEXTS.length * 7 + 4);
  });
});
