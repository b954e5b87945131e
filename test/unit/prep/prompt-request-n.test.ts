import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadPromptsFile } from '../../../src/prep/load-prompts.ts';
import { createTempWorkspace, type TempWorkspace } from '../../helpers/temp-workspace.ts';
import { catchConfigError } from '../config/config-fixtures.ts';

/** `samples: k` is k requests (decision 0016): a prompt's request may not ask for n > 1 choices, which would be lost. */

describe('a prompt request setting n', () => {
  let temp: TempWorkspace;
  before(async () => {
    temp = await createTempWorkspace('batchpilot-prompts-n-');
  });
  after(() => temp.remove());

  it("is refused, naming the prompts file, the line and the prompt's request.n, and pointing at samples:", async () => {
    await temp.write(
      'own.yaml',
      ['prompts:', '  a:', '    text: "Post: {{ text }}"', '  b:', '    text: "x"', '    request: { n: 3 }', ''].join(
        '\n',
      ),
    );
    const error = await catchConfigError(loadPromptsFile('own.yaml', temp.dir));
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.equal(error.context.key, 'prompts.b.request.n');
    assert.equal(error.context.line, 6);
    assert.equal(error.context.file, temp.path('own.yaml'));
    assert.match(error.message, /own\.yaml:6/);
    assert.match(error.message, /samples: 3/);
  });

  it('is refused from defaults.request too, naming that key', async () => {
    await temp.write(
      'defaults.yaml',
      ['defaults: { request: { n: 2 } }', 'prompts:', '  a: { text: "x" }', ''].join('\n'),
    );
    const error = await catchConfigError(loadPromptsFile('defaults.yaml', temp.dir));
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.equal(error.context.key, 'defaults.request.n');
    assert.equal(error.context.line, 1);
  });

  it('is accepted as n: 1 (one choice, the default)', async () => {
    await temp.write('one.yaml', ['prompts:', '  a: { text: "x", request: { n: 1 }, samples: 2 }', ''].join('\n'));
    const set = await loadPromptsFile('one.yaml', temp.dir);
    assert.equal(set.prompts[0]?.samples, 2);
  });
});
