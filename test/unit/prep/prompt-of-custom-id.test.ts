import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { promptOfCustomId } from '../../../src/prep/prompt-of-custom-id.ts';
import type { PromptSet } from '../../../src/prep/prompt-spec.ts';
import { formatCustomId } from '../../../src/prep/render-row.ts';

function set(names: string[], customIdFormat: string): PromptSet {
  return {
    prompts: names.map((name) => ({
      name,
      template: '',
      samples: 1,
      request: {},
      output: { format: 'text', checks: [], mode: 'provider' },
      reask: { max: 0, invalid: 'feedback', truncated_max_tokens: 1, refused: false },
    })),
    customIdFormat,
    sourceFile: 'prompts.yaml',
    hash: 'h',
  };
}

describe('promptOfCustomId', () => {
  it('reads back the prompt of every id formatCustomId makes, samples and prefix names included', () => {
    const names = ['topic', 'topic_detail', 'sentiment-polarity', 'a.b'];
    for (const format of [
      '{prompt}_{index}',
      '{index}-{prompt}',
      'x_{key}_{prompt}_{index}',
      '{prompt}/{key}/{prompt}',
    ]) {
      const parse = promptOfCustomId(set(names, format));
      assert.ok(parse !== undefined, format);
      for (const prompt of names) {
        for (const sample of [null, 0, 3]) {
          const id = formatCustomId(format, { prompt, index: 42, key: 'k_7', width: 4, sample });
          assert.equal(parse(id), prompt, `${format}: ${id}`);
        }
      }
      assert.equal(parse('unrelated'), undefined, format);
    }
  });

  it('is undefined for a format without {prompt}: the ids say nothing of it', () => {
    assert.equal(promptOfCustomId(set(['a'], 'row_{index}')), undefined);
  });
});
