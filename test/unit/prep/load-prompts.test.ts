import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadPromptsFile } from '../../../src/prep/load-prompts.ts';
import { loadPromptSet } from '../../../src/prep/load-prompt-set.ts';
import { createTempWorkspace, type TempWorkspace } from '../../helpers/temp-workspace.ts';
import { catchConfigError } from '../config/config-fixtures.ts';

/** Issue 12 section 1: a prompts file is validated up front; every error names the file, the line and the key. */

describe('loadPromptsFile', () => {
  let temp: TempWorkspace;
  before(async () => {
    temp = await createTempWorkspace('batchpilot-prompts-');
    await temp.write('t.md', 'Post: {{ text }}\n');
    await temp.write('ok.schema.json', JSON.stringify({ type: 'object', properties: { a: { type: 'string' } } }));
    await temp.write('bad.schema.json', JSON.stringify({ type: 'objekt' }));
    await temp.write('broken.schema.json', '{"type": ');
  });
  after(() => temp.remove());

  it('merges defaults into each prompt, reads the template and schema relative to the file', async () => {
    await temp.write(
      'p.yaml',
      [
        'defaults: { model: m1, request: { temperature: 0.2, max_tokens: 100 }, reask: { max: 1 } }',
        'prompts:',
        '  a:',
        '    template: t.md',
        '    request: { max_tokens: 50 }',
        '    output: { schema: ok.schema.json, checks: [{ path: a, min_length: 3 }] }',
        '  b:',
        '    text: "Hi {{ row.name }}"',
        '    model: m2',
        '    samples: 3',
        '    when: "row.lang == \'zh\'"',
      ].join('\n'),
    );
    const set = await loadPromptsFile('p.yaml', temp.dir);
    const [a, b] = set.prompts;
    assert.equal(a?.template, 'Post: {{ text }}\n');
    assert.deepEqual(a?.request, { temperature: 0.2, max_tokens: 50 });
    assert.equal(a?.model, 'm1');
    assert.equal(a?.output.format, 'json');
    assert.equal(a?.output.mode, 'provider');
    assert.deepEqual(a?.output.checks, [{ path: 'a', min_length: 3 }]);
    assert.deepEqual(a?.reask, { max: 1, invalid: 'feedback', truncated_max_tokens: 8192, refused: false });
    assert.equal(b?.output.format, 'text');
    assert.equal(b?.samples, 3);
    assert.equal(b?.model, 'm2');
    assert.equal(b?.reask.max, 1);
    assert.equal(set.customIdFormat, '{prompt}_{index}');
    assert.match(set.hash, /^[0-9a-f]{64}$/);
  });

  it('names the file, line and key of an unknown key, a wrong value and a missing template', async () => {
    await temp.write('unknown.yaml', 'prompts:\n  a:\n    text: hi\n    sampels: 2\n');
    const unknown = await catchConfigError(loadPromptsFile('unknown.yaml', temp.dir));
    assert.equal(unknown.code, 'CONFIG_INVALID');
    assert.deepEqual(unknown.context, { file: temp.path('unknown.yaml'), line: 4, key: 'prompts.a.sampels' });

    // A setting of the config file put in the prompts file: the error says where it goes.
    await temp.write('config-key.yaml', 'prompts:\n  a:\n    text: hi\nintegrate:\n  min_coverage: 0.5\n');
    const configKey = await catchConfigError(loadPromptsFile('config-key.yaml', temp.dir));
    assert.equal(configKey.context.key, 'integrate');
    assert.match(
      configKey.message,
      /"integrate" is a setting of the config file \(batchpilot\.yaml, or --config FILE\)/,
    );

    await temp.write('wrong.yaml', 'prompts:\n  a:\n    text: hi\n\n    samples: 0\n');
    const wrong = await catchConfigError(loadPromptsFile('wrong.yaml', temp.dir));
    assert.equal(wrong.code, 'CONFIG_INVALID');
    assert.equal(wrong.context.line, 5);
    assert.equal(wrong.context.key, 'prompts.a.samples');

    await temp.write('missing.yaml', 'prompts:\n  a:\n    template: nowhere.md\n');
    const missing = await catchConfigError(loadPromptsFile('missing.yaml', temp.dir));
    assert.equal(missing.code, 'CONFIG_UNREADABLE');
    assert.equal(missing.context.line, 3);

    await temp.write('when.yaml', 'prompts:\n  a:\n    text: hi\n    when: "row.lang =="\n');
    const when = await catchConfigError(loadPromptsFile('when.yaml', temp.dir));
    assert.deepEqual([when.code, when.context.line, when.context.key], ['CONFIG_INVALID', 4, 'prompts.a.when']);
    for (const good of ["row.lang == 'zh' and not row.done", "row.tags contains 'x'", 'row.n > 3 or row.m']) {
      await temp.write('good.yaml', `prompts:\n  a:\n    text: hi\n    when: ${JSON.stringify(good)}\n`);
      assert.equal((await loadPromptsFile('good.yaml', temp.dir)).prompts[0]?.when, good);
    }

    await temp.write('both.yaml', 'prompts:\n  a:\n    template: t.md\n    text: hi\n');
    assert.equal((await catchConfigError(loadPromptsFile('both.yaml', temp.dir))).code, 'CONFIG_INVALID');
  });

  it('refuses a prompts file that cannot be read or is not YAML, naming file and line', async () => {
    const absent = await catchConfigError(loadPromptsFile('absent.yaml', temp.dir));
    assert.equal(absent.code, 'CONFIG_UNREADABLE');
    assert.equal(absent.context.file, temp.path('absent.yaml'));
    await temp.write('syntax.yaml', 'prompts:\n  a:\n    text: "open\n');
    const syntax = await catchConfigError(loadPromptsFile('syntax.yaml', temp.dir));
    assert.equal(syntax.code, 'CONFIG_UNREADABLE');
    assert.equal(typeof syntax.context.line, 'number');
  });

  it('refuses a schema that is not JSON or not a valid JSON Schema, naming the schema file', async () => {
    await temp.write('s1.yaml', 'prompts:\n  a:\n    text: hi\n    output:\n      schema: bad.schema.json\n');
    const invalid = await catchConfigError(loadPromptsFile('s1.yaml', temp.dir));
    assert.equal(invalid.code, 'CONFIG_INVALID');
    assert.equal(invalid.context.file, temp.path('bad.schema.json'));
    assert.equal(invalid.context.line, 5);
    await temp.write('s2.yaml', 'prompts:\n  a:\n    text: hi\n    output: { schema: broken.schema.json }\n');
    const broken = await catchConfigError(loadPromptsFile('s2.yaml', temp.dir));
    assert.equal(broken.code, 'CONFIG_UNREADABLE');
    assert.equal(broken.context.file, temp.path('broken.schema.json'));
  });

  it('refuses a custom_id format without {prompt} and {index} or {key}', async () => {
    await temp.write('id.yaml', 'custom_id: "{prompt}"\nprompts:\n  a: { text: hi }\n');
    const error = await catchConfigError(loadPromptsFile('id.yaml', temp.dir));
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.deepEqual([error.context.line, error.context.key], [1, 'custom_id']);
  });

  it("reads the config's prompts: inline, naming the config file's lines, and asks for prompts when there are none", async () => {
    const config = await temp.write(
      'batchpilot.yaml',
      'concurrency: 4\nprompts:\n  prompts:\n    a: { text: hi, samples: -1 }\n',
    );
    const error = await catchConfigError(
      loadPromptSet({
        configPrompts: { prompts: { a: { text: 'hi', samples: -1 } } },
        configFile: config,
        cwd: temp.dir,
      }),
    );
    assert.deepEqual(
      [error.context.file, error.context.line, error.context.key],
      [config, 4, 'prompts.prompts.a.samples'],
    );
    const set = await loadPromptSet({
      configPrompts: { prompts: { a: { text: 'hi' } } },
      configFile: config,
      cwd: temp.dir,
    });
    assert.equal(set.prompts[0]?.template, 'hi');
    await assert.rejects(loadPromptSet({ configFile: null, cwd: temp.dir }), { code: 'USAGE' });
  });
});
