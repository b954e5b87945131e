import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { cliError, describeResult, killRunningClis, runCli, runOutput } from '../helpers/run-cli.ts';
import { chatBatchLines, createTempWorkspace, toJsonl } from '../helpers/temp-workspace.ts';

/**
 * Issue 10 section 6: commands find the nearest `.batchpilot` in the working folder or its parents (as git finds
 * `.git`), and `status`/`list` never create a workspace in a folder that has none.
 */

after(killRunningClis);

describe('workspace discovery', () => {
  it('finds the workspace of a parent folder from a subfolder', async () => {
    const temp = await createTempWorkspace('batchpilot-wsfind-');
    try {
      await temp.write('in.jsonl', toJsonl(chatBatchLines(3)));
      const run = await runCli(['--json', 'run', 'in.jsonl', '--simulate', '--no-progress'], { cwd: temp.dir });
      const jobId = runOutput(run)?.job_id;
      assert.ok(jobId !== undefined, describeResult(run));
      assert.ok(existsSync(join(temp.dir, '.batchpilot', 'state.db')), describeResult(run));

      const deeper = join(temp.dir, 'a', 'b');
      await mkdir(deeper, { recursive: true });
      const status = await runCli(['--json', 'status', jobId], { cwd: deeper });
      assert.equal(status.code, 0, describeResult(status));
      assert.equal((JSON.parse(status.stdout) as { job_id: string }).job_id, jobId);
      assert.equal(existsSync(join(deeper, '.batchpilot')), false, 'no workspace made in the subfolder');
    } finally {
      await temp.remove();
    }
  });

  it('status and list in a folder without a workspace create none', async () => {
    const temp = await createTempWorkspace('batchpilot-wsnone-');
    try {
      const list = await runCli(['--json', 'list'], { cwd: temp.dir });
      assert.equal(list.code, 0, describeResult(list));
      assert.deepEqual(JSON.parse(list.stdout), []);
      const status = await runCli(['status'], { cwd: temp.dir });
      assert.equal(status.code, 0, describeResult(status));
      const one = await runCli(['--json', 'status', 'job-x'], { cwd: temp.dir });
      assert.equal(cliError(one)?.code, 'JOB_NOT_FOUND', describeResult(one));
      const monitor = await runCli(['--json', 'monitor', 'job-x'], { cwd: temp.dir });
      assert.equal(cliError(monitor)?.code, 'JOB_NOT_FOUND', describeResult(monitor));
      const scheduler = await runCli(['--json', 'scheduler', 'status'], { cwd: temp.dir });
      assert.equal((JSON.parse(scheduler.stdout) as { running: boolean }).running, false, describeResult(scheduler));
      assert.equal(existsSync(join(temp.dir, '.batchpilot')), false, 'no workspace created');
    } finally {
      await temp.remove();
    }
  });
});
