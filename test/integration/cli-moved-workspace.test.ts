import assert from 'node:assert/strict';
import { cp, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkResultFiles } from '../helpers/check-result-files.ts';
import { describeResult, runCli } from '../helpers/run-cli.ts';
import { type SimulatorHandle, startSimulator } from '../helpers/start-simulator.ts';
import { chatBatchLines, createTempWorkspace, type TempWorkspace, toJsonl } from '../helpers/temp-workspace.ts';

/**
 * A copied workspace is a workspace of its own: resuming the copy writes the copy's result files, never the
 * original's (before: result files went to the absolute path stored in the job, so the copy overwrote the original's).
 */
describe('a copied workspace', () => {
  let temp: TempWorkspace;
  let sim: SimulatorHandle;
  let input: string;

  before(async () => {
    temp = await createTempWorkspace();
    input = await temp.write('input.jsonl', toJsonl(chatBatchLines(50)));
    sim = await startSimulator({});
  });

  after(async () => {
    await sim.close();
    await temp.remove();
  });

  it('resumes into its own job folder and leaves the original alone', async () => {
    const original = temp.workspace;
    const killed = await runCli(
      ['--workspace', original, '--json', 'run', input, '--job', 'm', '--base-url', sim.baseUrl, '--no-progress'],
      { cwd: temp.dir, env: { BATCHPILOT_CRASH_AT: 'before-result-files-commit' } },
    );
    assert.equal(killed.signal, 'SIGKILL', describeResult(killed));
    const copy = join(temp.dir, 'copied-ws');
    await cp(original, copy, { recursive: true });

    const shown = await runCli(['--workspace', copy, '--json', 'status', 'm'], { cwd: temp.dir });
    assert.equal((JSON.parse(shown.stdout) as { out_dir: string }).out_dir, join(copy, 'jobs', 'm'), shown.stdout);
    const resumed = await runCli(['--workspace', copy, '--json', 'resume', 'm', '--no-progress'], { cwd: temp.dir });
    assert.equal(resumed.code, 0, describeResult(resumed));
    await checkResultFiles({ inputPath: input, jobDir: join(copy, 'jobs', 'm') });
    const originalFiles = await readdir(join(original, 'jobs', 'm'));
    assert.ok(
      !originalFiles.includes('output.jsonl'),
      `the original's folder was written: ${originalFiles.join(', ')}`,
    );
  });
});
