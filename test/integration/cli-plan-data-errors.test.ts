import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { before, describe, it } from 'node:test';
import { cliError, describeResult, runCli, startCli, waitFor, type CliResult } from '../helpers/run-cli.ts';
import { toJsonl } from '../helpers/temp-workspace.ts';
import { useCliWorkspace } from '../helpers/use-cli-workspace.ts';

/**
 * `plan DATA --prompts FILE` when it cannot finish: an error during or after the preparation, or Ctrl-C, ends with
 * its code and leaves no temp folder behind. (The figures themselves: cli-plan-data.test.ts.)
 */

describe('plan DATA --prompts FILE: errors and Ctrl-C', () => {
  const ws = useCliWorkspace({ prefix: 'batchpilot-plan-data-errors-' });
  /** The child's TMPDIR: the plan's temp folder goes here, so a test can see it is gone. */
  let tmp = '';

  before(async () => {
    const posts = ['{"id":"p0","lang":"zh","text":"a"}', '{"id":"p1","lang":"en","text":"b"}'];
    await ws.temp.write('posts.jsonl', toJsonl(posts));
    await ws.temp.write(
      'prompts.yaml',
      'prompts:\n  sentiment:\n    text: "Rate: {{ text }}"\n    model: gpt-4o-mini\n',
    );
    tmp = ws.temp.path('tmp');
    await mkdir(tmp);
  });

  const plan = (args: readonly string[]): Promise<CliResult> =>
    runCli(['--json', 'plan', ...args, '--base-url', ws.sim.baseUrl], { cwd: ws.temp.dir, env: { TMPDIR: tmp } });

  const leftInTmp = async (): Promise<string[]> =>
    (await readdir(tmp)).filter((name) => name.startsWith('batchpilot-plan-'));

  it('an error after or during preparation removes the temp folder too (exit 2, the code names why)', async () => {
    await ws.temp.write('empty-prompts.yaml', 'prompts:\n  only:\n    text: "{{ absent }}"\n');
    const empty = await plan(['posts.jsonl', '--prompts', 'empty-prompts.yaml']);
    assert.equal(empty.code, 2, describeResult(empty));
    assert.equal(cliError(empty)?.code, 'INPUT_EMPTY');
    assert.deepEqual(cliError(empty)?.context, { file: ws.temp.path('posts.jsonl') });
    assert.deepEqual(await leftInTmp(), []);

    // Prompt "a" of row "11" and prompt "a1" of row "1" both make "a11": stopped halfway through the preparation.
    await ws.temp.write('ids.jsonl', toJsonl(['{"id":"1","lang":"x"}', '{"id":"11","lang":"y"}']));
    await ws.temp.write(
      'same-id.yaml',
      'custom_id: "{prompt}{key}"\nprompts:\n  a:\n    text: "{{ lang }}"\n  a1:\n    text: "{{ lang }}"\n',
    );
    const duplicate = await plan(['ids.jsonl', '--prompts', 'same-id.yaml', '--data-key', 'id']);
    assert.equal(duplicate.code, 2, describeResult(duplicate));
    assert.equal(cliError(duplicate)?.code, 'CUSTOM_ID_DUPLICATE');
    assert.deepEqual(await leftInTmp(), []);

    const badFormat = await plan(['posts.jsonl', '--prompts', 'prompts.yaml', '--data-format', 'xml']);
    assert.equal(badFormat.code, 2, describeResult(badFormat));
    assert.equal(cliError(badFormat)?.code, 'USAGE');

    // The models are checked after the plan, as for plan INPUT; the temp folder is gone by then.
    await ws.temp.write(
      'unknown-model.yaml',
      'prompts:\n  only:\n    text: "{{ lang }}"\n    model: unknown-model-z\n',
    );
    const unknown = await plan(['posts.jsonl', '--prompts', 'unknown-model.yaml']);
    assert.equal(unknown.code, 2, describeResult(unknown));
    assert.equal(cliError(unknown)?.code, 'MODEL_NOT_FOUND');
    assert.equal(ws.sim.stats().generationRequests, 0);
    assert.deepEqual(await leftInTmp(), []);

    // Without prompts the argument is a request file, which has no data key.
    const noPrompts = await plan(['posts.jsonl', '--data-key', 'id']);
    assert.equal(noPrompts.code, 2, describeResult(noPrompts));
    assert.deepEqual([cliError(noPrompts)?.code, cliError(noPrompts)?.context], ['USAGE', { flag: '--data-key' }]);
  });

  it('Ctrl-C while preparing ends with INTERRUPTED (exit 130) and removes the temp folder', async () => {
    // Big enough that preparing and planning take seconds, far longer than the wait for the temp folder.
    const rows = Array.from({ length: 50_000 }, (_, index) =>
      JSON.stringify({ id: `r${String(index)}`, text: `row ${String(index)}`, lang: 'zh' }),
    );
    await ws.temp.write('big.jsonl', toJsonl(rows));
    const cli = startCli(['--json', 'plan', 'big.jsonl', '--prompts', 'prompts.yaml', '--base-url', ws.sim.baseUrl], {
      cwd: ws.temp.dir,
      env: { TMPDIR: tmp },
    });
    await waitFor(
      () => readdirSync(tmp).some((name) => name.startsWith('batchpilot-plan-')),
      'the temp folder of plan DATA',
    );
    cli.child.kill('SIGINT');
    const result = await cli.done;
    assert.equal(result.code, 130, describeResult(result));
    assert.equal(cliError(result)?.code, 'INTERRUPTED');
    assert.deepEqual(await leftInTmp(), []);
  });
});
