import assert from 'node:assert/strict';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { describeResult, runCli } from '../helpers/run-cli.ts';
import { createTempWorkspace, type TempWorkspace } from '../helpers/temp-workspace.ts';

/**
 * Issue 12 section 1, `batchpilot prepare DATA --prompts FILE`: the files are written (requests, manifest, rejects),
 * `--preview N` prints requests and writes nothing, and a prompts file that cannot be used stops with exit 2 naming
 * the file and line (no stack).
 */

const PROMPTS = [
  'defaults: { model: glm-4-air, request: { temperature: 0.2, max_tokens: 256 } }',
  'prompts:',
  '  sentiment:',
  '    template: prompts/sentiment.md',
  '    output: { schema: schemas/sentiment.schema.json }',
  '  topic:',
  '    text: "Topic of: {{ row.text }}"',
  '    when: "row.lang == \'zh\'"',
].join('\n');

describe('batchpilot prepare', () => {
  let temp: TempWorkspace;
  before(async () => {
    temp = await createTempWorkspace('batchpilot-prepare-cli-');
    await temp.write('posts.csv', 'id,text,lang\nq1,"first,\nsecond line",zh\nq2,plain,en\nq3,third,zh\n');
    await Promise.all(['prompts', 'schemas', 'cfg'].map((name) => mkdir(temp.path(name))));
    await temp.write('prompts/sentiment.md', 'Rate: {{ text }}\n');
    await temp.write(
      'schemas/sentiment.schema.json',
      JSON.stringify({ type: 'object', properties: { polarity: { type: 'string' } }, required: ['polarity'] }),
    );
    await temp.write('prompts.yaml', PROMPTS);
  });
  after(() => temp.remove());

  it('writes requests.jsonl, manifest.json, manifest.rows.jsonl and prepare_rejects.jsonl', async () => {
    const result = await runCli(
      [
        '--json',
        'prepare',
        'posts.csv',
        '--prompts',
        'prompts.yaml',
        '--out',
        'out/requests.jsonl',
        '--data-key',
        'id',
      ],
      { cwd: temp.dir },
    );
    assert.equal(result.code, 0, describeResult(result));
    const summary = JSON.parse(result.stdout) as { counts: { rows: number; requests: number; skipped: number } };
    assert.deepEqual([summary.counts.rows, summary.counts.requests, summary.counts.skipped], [3, 5, 1]);
    const files = (await readdir(temp.path('out'))).sort();
    assert.deepEqual(files, ['manifest.json', 'manifest.rows.jsonl', 'prepare_rejects.jsonl', 'requests.jsonl']);
    const lines = (await readFile(temp.path('out/requests.jsonl'), 'utf8')).trimEnd().split('\n');
    const first = JSON.parse(lines[0] ?? '') as { custom_id: string; body: { messages: { content: string }[] } };
    assert.equal(first.custom_id, 'sentiment_0000');
    assert.equal(first.body.messages[0]?.content, 'Rate: first,\nsecond line');
  });

  it('--preview N prints N requests per prompt and writes nothing', async () => {
    const before = (await readdir(temp.dir)).sort();
    const result = await runCli(['--json', 'prepare', 'posts.csv', '--prompts', 'prompts.yaml', '--preview', '1'], {
      cwd: temp.dir,
    });
    assert.equal(result.code, 0, describeResult(result));
    const preview = JSON.parse(result.stdout) as { requests: Record<string, { custom_id: string }[]> };
    assert.deepEqual(
      Object.fromEntries(Object.entries(preview.requests).map(([name, list]) => [name, list.map((r) => r.custom_id)])),
      { sentiment: ['sentiment_0000'], topic: ['topic_0000'] },
    );
    assert.deepEqual((await readdir(temp.dir)).sort(), before);
  });

  it('a prompts file with a wrong key or an unreadable schema stops with exit 2, naming file and line', async () => {
    await temp.write('bad.yaml', `${PROMPTS}\n    samples: many\n`);
    const bad = await runCli(['--json', 'prepare', 'posts.csv', '--prompts', 'bad.yaml'], { cwd: temp.dir });
    assert.equal(bad.code, 2, describeResult(bad));
    const error = (JSON.parse(bad.stdout) as { error: { code: string; context: { file: string; line: number } } })
      .error;
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.deepEqual([error.context.file, error.context.line], [temp.path('bad.yaml'), 9]);

    await temp.write('noschema.yaml', PROMPTS.replace('schemas/sentiment', 'schemas/missing'));
    const missing = await runCli(['--json', 'prepare', 'posts.csv', '--prompts', 'noschema.yaml'], { cwd: temp.dir });
    assert.equal(missing.code, 2, describeResult(missing));
    const unreadable = (
      JSON.parse(missing.stdout) as { error: { code: string; context: { file: string; line: number } } }
    ).error;
    assert.equal(unreadable.code, 'CONFIG_UNREADABLE');
    assert.deepEqual([unreadable.context.file, unreadable.context.line], [temp.path('noschema.yaml'), 5]);
    assert.equal(missing.stderr, '');
    assert.equal((await readdir(temp.dir)).includes('requests.jsonl'), false);
  });
  it('takes prompts and data.key from batchpilot.yaml: a prompts: file, or the prompts inline', async () => {
    await temp.write('cfg/posts.jsonl', '{"id":"k1","text":"a"}\n{"id":"k2","text":"b"}\n');
    await temp.write('cfg/batchpilot.yaml', 'data: { key: id }\nprompts: ../prompts.yaml\n');
    const fromFile = await runCli(['--json', 'prepare', 'posts.jsonl'], { cwd: temp.path('cfg') });
    assert.equal(fromFile.code, 0, describeResult(fromFile));
    const rows = (await readFile(temp.path('cfg/manifest.rows.jsonl'), 'utf8')).trimEnd().split('\n');
    assert.deepEqual(
      rows.map((line) => (JSON.parse(line) as { key: string }).key),
      ['k1', 'k2'],
    );

    await temp.write(
      'cfg/batchpilot.yaml',
      'data: { key: id }\nprompts:\n  prompts:\n    short:\n      text: "{{ text }}"\n      samples: 0\n',
    );
    const inline = await runCli(['--json', 'prepare', 'posts.jsonl', '--preview', '1'], { cwd: temp.path('cfg') });
    assert.equal(inline.code, 2, describeResult(inline));
    const error = (JSON.parse(inline.stdout) as { error: { code: string; context: { file: string; line: number } } })
      .error;
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.deepEqual([error.context.file, error.context.line], [temp.path('cfg/batchpilot.yaml'), 6]);
  });
});
