import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT, waitFor } from '../helpers/run-cli.ts';
import { spawnOwned } from '../helpers/spawn-owned.ts';
import { createTempWorkspace, type TempWorkspace } from '../helpers/temp-workspace.ts';

/**
 * Issue 10 section 0, through the real runner (`scripts/run-tests.mjs`): a test file cut off by its timeout while
 * it holds a running CLI process counts as a failure in the closing summary (Node's own counts it `cancelled`, and
 * said `fail 0` with exit code 1), the exit code agrees, and the file's CLI process does not outlive it.
 */

/** Long enough for a loaded machine to load the held file and start its CLI, short enough to keep this test short. */
const FILE_TIMEOUT_S = 15;

function isLiving(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

describe('scripts/run-tests.mjs', () => {
  let temp: TempWorkspace;

  after(async () => {
    // Only when the test failed: do not leave the held CLI running.
    let cliPid = 0;
    try {
      cliPid = Number(readFileSync(temp.path('cli.pid'), 'utf8'));
    } catch {
      // Never started.
    }
    if (cliPid > 0 && isLiving(cliPid)) process.kill(cliPid, 'SIGKILL');
    await temp.remove();
  });

  it('counts a timed-out file as a failure, exits 1, and leaves none of its processes behind', async () => {
    temp = await createTempWorkspace('batchpilot-runner-');
    const tests = temp.path('suite');
    await mkdir(join(tests, 'integration'), { recursive: true });
    await temp.write('suite/package.json', '{ "type": "module" }\n');
    await temp.write('suite/fast.test.ts', "import { it } from 'node:test';\nit('passes', () => {});\n");
    const runCli = pathToFileURL(join(REPO_ROOT, 'test/helpers/run-cli.ts')).href;
    const pidFile = temp.path('cli.pid');
    await temp.write(
      'suite/integration/holds-a-cli.test.ts',
      [
        "import { writeFileSync } from 'node:fs';",
        "import { it } from 'node:test';",
        `import { delay, startCli } from '${runCli}';`,
        "it('holds a CLI past its timeout', async () => {",
        "  const cli = startCli(['simulate', '--port', '0'], { cwd: process.cwd(), timeoutMs: 600_000 });",
        `  writeFileSync(${JSON.stringify(pidFile)}, String(cli.child.pid));`,
        '  await delay(600_000);',
        '});',
        '',
      ].join('\n'),
    );

    const runner = spawnOwned(process.execPath, [join(REPO_ROOT, 'scripts/run-tests.mjs')], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        BATCHPILOT_TEST_DIR: tests,
        BATCHPILOT_TEST_FILE_TIMEOUT_S: String(FILE_TIMEOUT_S),
        NODE_TEST_CONTEXT: undefined,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    runner.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    runner.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(runner, 'close')) as [number | null];

    const summary = output.trim().split('\n').slice(-8).join('\n');
    assert.match(output, /failureType: 'testTimeoutFailure'/, output);
    assert.match(summary, /^# pass 1$/m, output);
    assert.match(summary, /^# fail 1$/m, output);
    assert.match(summary, /^# cancelled 1$/m, output);
    assert.equal(code, 1, output);

    const cliPid = Number(readFileSync(pidFile, 'utf8'));
    assert.ok(cliPid > 0, 'the held file started its CLI before its timeout');
    await waitFor(() => !isLiving(cliPid), `CLI ${String(cliPid)} of the timed-out file to end`, 10_000);
  });
});
