import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { livingGroupMembers } from '../fixtures/command/process-groups.ts';
import { REPO_ROOT, waitFor } from '../helpers/run-cli.ts';
import { killOwned, spawnOwned } from '../helpers/spawn-owned.ts';
import { createTempWorkspace, type TempWorkspace } from '../helpers/temp-workspace.ts';

/**
 * Issue 10 section 0: every process a test starts dies with the test process, whatever ends it. A test file that
 * holds a running CLI (test/fixtures/harness/hold-a-cli.ts) is ended the way the runner ends a file over its timeout
 * (SIGTERM), and the way nothing can catch (SIGKILL); in both cases its CLI process and that one's group are gone
 * shortly after.
 */

const FIXTURE = fileURLToPath(new URL('../fixtures/harness/hold-a-cli.ts', import.meta.url));

/** Whether `pid` runs and is not a zombie (a container's PID 1 may leave orphans unreaped). */
function isLiving(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

const leftovers: number[] = [];

after(() => {
  // Only when the test failed: do not leave its CLI running.
  for (const pid of leftovers) if (isLiving(pid)) process.kill(pid, 'SIGKILL');
});

describe('child processes of a test', () => {
  let temp: TempWorkspace;

  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(`die when the test process that started them gets ${signal}`, async (t) => {
      temp = await createTempWorkspace('batchpilot-harness-');
      const pidFile = temp.path('cli.pid');
      const holder = spawnOwned(process.execPath, ['--import', 'tsx', FIXTURE], {
        cwd: REPO_ROOT,
        env: { ...process.env, HOLD_PID_FILE: pidFile },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      holder.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = once(holder, 'exit');
      // Whatever an assertion below does, the holder must not keep this file alive until the runner's timeout.
      t.after(() => killOwned(holder));
      let cliPid = 0;
      await waitFor(
        () => {
          try {
            cliPid = Number(readFileSync(pidFile, 'utf8'));
          } catch {
            cliPid = 0;
          }
          // The file can be seen created but not yet written: wait for a whole pid.
          return cliPid > 0 || holder.exitCode !== null;
        },
        'the fixture to start its CLI',
        120_000,
      );
      assert.ok(cliPid > 0, `the fixture ended before starting its CLI: ${stderr}`);
      leftovers.push(cliPid);
      assert.ok(isLiving(cliPid), 'the CLI runs before its test process is ended');

      holder.kill(signal);
      const [, endedBy] = (await exited) as [number | null, NodeJS.Signals | null];
      assert.equal(endedBy, signal, stderr);
      await waitFor(
        () => !isLiving(cliPid),
        `CLI ${String(cliPid)} to end after its test process got ${signal}`,
        20_000,
      );
      // The group's other members get the same signal but may take a moment longer than its leader to exit.
      await waitFor(
        () => livingGroupMembers(cliPid).length === 0,
        `the rest of CLI ${String(cliPid)}'s process group to end`,
        20_000,
      ).catch(() => undefined);
      assert.deepEqual(livingGroupMembers(cliPid), [], 'nothing of the CLI process group is left');
      assert.equal((await readFile(pidFile, 'utf8')).trim(), String(cliPid));
      await temp.remove();
    });
  }
});
