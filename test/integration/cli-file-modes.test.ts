import assert from 'node:assert/strict';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createStore } from '../../src/store/create-store.ts';
import { describeResult, runCli } from '../helpers/run-cli.ts';
import { chatBatchLines, createTempWorkspace, type TempWorkspace, toJsonl } from '../helpers/temp-workspace.ts';
import { runArgs } from '../helpers/run-args.ts';

/**
 * Issue 10 section 2, file modes: under `umask 000` (inherited by the CLI and the scheduler it starts) the workspace
 * is 0700, the store and its -wal/-shm, the job log, the scheduler log and the submission socket 0600; result files
 * written with `--out` outside the workspace follow the umask (0666 here).
 */

async function modeOf(path: string): Promise<string> {
  return ((await lstat(path)).mode & 0o777).toString(8);
}

describe('file modes whatever the umask', () => {
  let temp: TempWorkspace;
  let input: string;
  let previousUmask = 0;
  let schedulerPid: number | undefined;

  before(async () => {
    temp = await createTempWorkspace('batchpilot-modes-');
    input = await temp.write('input.jsonl', toJsonl(chatBatchLines(20)));
    // Children inherit it: the CLI and the scheduler it spawns run under umask 000.
    previousUmask = process.umask(0);
  });

  after(async () => {
    process.umask(previousUmask);
    if (schedulerPid !== undefined) {
      try {
        process.kill(schedulerPid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    await temp.remove();
  });

  it('keeps the workspace private and the files under --out to the umask', async () => {
    const out = temp.path('results');
    const result = await runCli(runArgs(temp, input, { job: 'fg' }, ['--simulate', '--no-progress', '--out', out]), {
      cwd: temp.dir,
    });
    assert.equal(result.code, 0, describeResult(result));
    assert.equal(await modeOf(temp.workspace), '700');
    assert.equal(await modeOf(join(temp.workspace, 'state.db')), '600');
    assert.equal(await modeOf(join(temp.workspace, 'jobs', 'fg', 'job.log')), '600');
    for (const name of await readdir(out)) assert.equal(await modeOf(join(out, name)), '666', name);

    // Any batchpilot process opening the store (here this one, under umask 000) makes -wal/-shm as private.
    const store = createStore({ workspace: temp.workspace });
    try {
      await store.getJob('fg');
      for (const suffix of ['-wal', '-shm']) {
        assert.equal(await modeOf(join(temp.workspace, `state.db${suffix}`)), '600', suffix);
      }
    } finally {
      await store.close();
    }
  });

  it('keeps the scheduler log and the submission socket private', async () => {
    const result = await runCli(runArgs(temp, input, { job: 'bg' }, ['--simulate', '--detach']), { cwd: temp.dir });
    assert.equal(result.code, 0, describeResult(result));
    schedulerPid = (JSON.parse(result.stdout) as { scheduler: { pid: number } }).scheduler.pid;
    assert.equal(await modeOf(join(temp.workspace, 'scheduler.log')), '600');
    const socket = join(temp.workspace, 'scheduler.sock');
    for (
      let tries = 0;
      !(await lstat(socket).then(
        () => true,
        () => false,
      ));
      tries += 1
    ) {
      assert.ok(tries < 3000, 'the scheduler never made its socket');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(await modeOf(socket), '600');
    const stop = await runCli(['--workspace', temp.workspace, 'scheduler', 'stop'], { cwd: temp.dir });
    assert.equal(stop.code, 0, describeResult(stop));
  });
});
