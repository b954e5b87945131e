import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createDataReview, indexDataJob } from '../../../src/compose/data-review.ts';
import { loadPromptsFile } from '../../../src/prep/load-prompts.ts';
import { prepareData } from '../../../src/prep/prepare-data.ts';

/**
 * A data job's answer review (decision 0022): the prompt found from the custom_id, `covers` checked against the row
 * fields prepare kept in the manifest, re-asks by the prompt's rules.
 */

function chatAnswer(content: unknown): string {
  return JSON.stringify({
    model: 'm',
    choices: [{ index: 0, message: { role: 'assistant', content: JSON.stringify(content) }, finish_reason: 'stop' }],
  });
}

describe('createDataReview', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'batchpilot-data-review-'));
    await writeFile(
      join(dir, 'rows.jsonl'),
      `${JSON.stringify({ id: 'a', dims: ['color', 'light'] })}\n${JSON.stringify({ id: 'b', dims: 'form' })}\n`,
    );
    await writeFile(
      join(dir, 'prompts.yaml'),
      [
        'defaults: { model: m }',
        'prompts:',
        '  critique:',
        '    text: "Critique {{ id }}"',
        '    output:',
        '      format: json',
        '      checks: [{ path: covered, covers: row.dims }]',
        '    reask: { max: 1 }',
        '  critique_short:',
        '    text: "Short {{ id }}"',
        '    output: { format: text }',
        '    reask: { max: 0 }',
      ].join('\n'),
    );
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('checks covers against the row prepare kept, and re-asks within reask.max', async () => {
    const prompts = await loadPromptsFile(join(dir, 'prompts.yaml'));
    const prepared = await prepareData({ dataPath: join(dir, 'rows.jsonl'), prompts, outDir: join(dir, 'out') });
    const review = createDataReview(prompts, await indexDataJob(prompts, prepared.manifestRowsPath));
    const first = { customId: 'critique_0000', seq: 0, reasks: 0 };
    assert.equal(review.check(first, chatAnswer({ covered: ['Color', 'light'] })).status, 'valid');
    const missing = review.check(first, chatAnswer({ covered: ['color'] }));
    assert.equal(missing.status, 'invalid');
    assert.match(JSON.stringify(missing.issues), /light/);
    assert.equal(review.shouldReask(first, missing), true);
    assert.equal(review.shouldReask({ ...first, reasks: 1 }, missing), false);
    // The second row lists its dimension as text.
    const second = { customId: 'critique_0001', seq: 2, reasks: 0 };
    assert.equal(review.check(second, chatAnswer({ covered: ['form'] })).status, 'valid');
    // `critique_short` is not mistaken for `critique`: text, no re-asks.
    const short = { customId: 'critique_short_0000', seq: 1, reasks: 0 };
    const text = JSON.stringify({ choices: [{ message: { content: '' }, finish_reason: 'stop' }] });
    const empty = review.check(short, text);
    assert.equal(empty.status, 'invalid');
    assert.equal(review.shouldReask(short, empty), false);
  });
});
