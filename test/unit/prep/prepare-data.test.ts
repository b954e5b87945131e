import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadPromptsFile } from '../../../src/prep/load-prompts.ts';
import { readManifestRows, type ManifestRow, type PrepareManifest } from '../../../src/prep/manifest.ts';
import { prepareData } from '../../../src/prep/prepare-data.ts';
import type { PreparedRequest } from '../../../src/prep/prepared-request.ts';
import { createTempWorkspace, type TempWorkspace } from '../../helpers/temp-workspace.ts';

/**
 * Issue 12 section 1: rows x prompts -> OpenAI batch lines, a manifest and rejects. A missing variable, a `when`
 * that cannot be evaluated or an unknown partial is a reject of that (row, prompt); the other pairs go on.
 */

async function readJsonl<T>(path: string): Promise<T[]> {
  const text = await readFile(path, 'utf8');
  return text === ''
    ? []
    : text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as T);
}

describe('prepareData', () => {
  let temp: TempWorkspace;
  before(async () => {
    temp = await createTempWorkspace('batchpilot-prepare-');
    await temp.write('footer.md', '(from {{ row.meta.src }})');
    await temp.write('t.md', '{{ text }} {% render "footer.md", row: row %}\n');
    await temp.write(
      'sentiment.schema.json',
      JSON.stringify({
        type: 'object',
        properties: { polarity: { enum: ['pos', 'neg'] }, note: { type: 'string', minLength: 2 } },
        required: ['polarity'],
      }),
    );
    await temp.write('open.schema.json', JSON.stringify({ type: 'object', additionalProperties: { type: 'number' } }));
    await temp.write(
      'posts.jsonl',
      [
        { id: 'p0', text: 'hello', lang: 'zh', meta: { src: 'a' } },
        { id: 'p1', text: 'world', lang: 'en', meta: { src: 'b' } },
        { id: 'p2', lang: 'zh', meta: { src: 'c' } },
        { id: 'p3', text: 'no meta', lang: 'zh' },
      ]
        .map((row) => JSON.stringify(row))
        .join('\n'),
    );
  });
  after(() => temp.remove());

  it('renders every (row, prompt, sample), rejects per pair with the row key, prompt and variable, and goes on', async () => {
    await temp.write(
      'prompts.yaml',
      [
        'defaults: { model: glm-4-air, request: { temperature: 0.2 } }',
        'prompts:',
        '  sentiment:',
        '    system: Be careful.',
        '    template: t.md',
        '    output: { schema: sentiment.schema.json }',
        '  topic:',
        '    text: "Topic of {{ text }}"',
        '    when: "row.lang == \'zh\'"',
        '    samples: 2',
        '    output: { format: json, mode: prompt }',
        '  bad_when:',
        '    text: "x"',
        '    when: "row.score > 1"',
        '  no_partial:',
        '    text: "{% render \'nowhere.md\' %}"',
        '  open_map:',
        '    text: "{{ row.text }}"',
        '    output: { schema: open.schema.json }',
      ].join('\n'),
    );
    const prompts = await loadPromptsFile('prompts.yaml', temp.dir);
    const outDir = join(temp.dir, 'out1');
    const result = await prepareData({ dataPath: temp.path('posts.jsonl'), prompts, outDir, data: { key: 'id' } });
    const requests = await readJsonl<PreparedRequest>(result.requestsPath);
    const ids = requests.map((request) => request.custom_id);
    assert.deepEqual(ids, [
      'sentiment_0000',
      'topic_0000_s0',
      'topic_0000_s1',
      'open_map_0000',
      'sentiment_0001',
      'open_map_0001',
      'topic_0003_s0',
      'topic_0003_s1',
      'open_map_0003',
    ]);
    const first = requests[0] as PreparedRequest;
    assert.deepEqual(first.body['messages'], [
      { role: 'system', content: 'Be careful.' },
      { role: 'user', content: 'hello (from a)' },
    ]);
    assert.equal(first.body['model'], 'glm-4-air');
    assert.equal(first.body['temperature'], 0.2);
    assert.deepEqual(first.body['response_format'], {
      type: 'json_schema',
      json_schema: {
        name: 'sentiment',
        strict: true,
        schema: {
          type: 'object',
          properties: { polarity: { enum: ['pos', 'neg'] }, note: { anyOf: [{ type: 'string' }, { type: 'null' }] } },
          required: ['polarity', 'note'],
          additionalProperties: false,
        },
      },
    });
    const topic = requests[1] as PreparedRequest;
    assert.equal(topic.body['response_format'], undefined);
    assert.match(String((topic.body['messages'] as { content: string }[])[0]?.content), /Answer with JSON/);
    assert.deepEqual((requests[3] as PreparedRequest).body['response_format'], { type: 'json_object' });

    const rejects = await readJsonl<{ key: string; prompt: string; reason: string }>(result.rejectsPath);
    const rejected = rejects.map((reject) => `${reject.key}/${reject.prompt}`).sort();
    assert.deepEqual(rejected, [
      'p0/bad_when',
      'p0/no_partial',
      'p1/bad_when',
      'p1/no_partial',
      'p2/bad_when',
      'p2/no_partial',
      'p2/open_map',
      'p2/sentiment',
      'p2/topic',
      'p3/bad_when',
      'p3/no_partial',
      'p3/sentiment',
    ]);
    const missingText = rejects.find((reject) => reject.key === 'p2' && reject.prompt === 'sentiment');
    assert.match(missingText?.reason ?? '', /\btext\b/);
    assert.deepEqual(result.counts, { rows: 4, rejectedRows: 0, requests: 9, rejected: 12, skipped: 1 });

    const manifest = JSON.parse(await readFile(result.manifestPath, 'utf8')) as PrepareManifest;
    assert.deepEqual(manifest.data, { path: temp.path('posts.jsonl'), format: 'jsonl', key: 'id', rows: 4 });
    const topicStats = manifest.prompts.find((prompt) => prompt.name === 'topic');
    assert.deepEqual([topicStats?.rows, topicStats?.requests, topicStats?.skipped], [2, 4, 1]);
    assert.equal(manifest.prompts[0]?.jsonRequest, 'json_schema');
    assert.ok((manifest.prompts[0]?.jsonRequestNotes.length ?? 0) > 0);
    const rows: ManifestRow[] = [];
    for await (const row of readManifestRows(result.manifestRowsPath)) rows.push(row);
    assert.deepEqual(
      rows.map((row) => row.key),
      ['p0', 'p1', 'p2', 'p3'],
    );
    assert.deepEqual(rows[1]?.prompts['topic'], { skipped: true });
    assert.deepEqual(rows[0]?.prompts['topic'], ['topic_0000_s0', 'topic_0000_s1']);
    assert.ok('rejected' in (rows[2]?.prompts['sentiment'] ?? {}));
  });

  it('pads {index} to the width the row count needs, at least 4 digits', async () => {
    const lines = Array.from({ length: 10_001 }, (_, index) => JSON.stringify({ n: index })).join('\n');
    await temp.write('many.jsonl', lines);
    await temp.write('one.yaml', 'prompts:\n  p: { text: "{{ n }}" }\n');
    const result = await prepareData({
      dataPath: temp.path('many.jsonl'),
      prompts: await loadPromptsFile('one.yaml', temp.dir),
      outDir: join(temp.dir, 'out2'),
    });
    const requests = await readJsonl<PreparedRequest>(result.requestsPath);
    assert.equal(requests[0]?.custom_id, 'p_00000');
    assert.equal(requests.at(-1)?.custom_id, 'p_10000');
  });

  it('refuses custom_ids made twice by a custom format, writing nothing', async () => {
    const outDir = join(temp.dir, 'out3');
    // {prompt}{key} with index keys: prompt p on row 10 and prompt p1 on row 0 both make p10.
    await temp.write(
      'dup2.yaml',
      'custom_id: "{prompt}{key}"\nprompts:\n  p: { text: "{{ g }}" }\n  p1: { text: "x" }\n',
    );
    await temp.write('dup2.jsonl', Array.from({ length: 12 }, () => '{"g":"a"}').join('\n'));
    await assert.rejects(
      prepareData({ dataPath: temp.path('dup2.jsonl'), prompts: await loadPromptsFile('dup2.yaml', temp.dir), outDir }),
      { code: 'CUSTOM_ID_DUPLICATE' },
    );
    await assert.rejects(readFile(join(outDir, 'requests.jsonl')), { code: 'ENOENT' });
    await assert.rejects(readFile(join(outDir, 'manifest.json')), { code: 'ENOENT' });
  });
});
