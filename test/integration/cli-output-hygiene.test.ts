import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  cliError,
  describeResult,
  jsonLines,
  killRunningClis,
  runCli,
  runOutput,
  startCli,
  waitFor,
} from '../helpers/run-cli.ts';
import { type SimulatorHandle, startSimulator } from '../helpers/start-simulator.ts';
import { chatBatchLines, createTempWorkspace, type TempWorkspace, toJsonl } from '../helpers/temp-workspace.ts';

/**
 * Issue 10 section 6, "output hygiene": what a script or a pipeline reads from the CLI is clean. `monitor | head` ends
 * quietly, `simulate --json` prints JSON, `run --json` after a 401 prints one JSON document, and `--out` never
 * overwrites another job's files.
 */

const KEY = 'sk-hygiene-0123456789abcdef';

let temp: TempWorkspace;
let sim: SimulatorHandle;
let input: string;

before(async () => {
  temp = await createTempWorkspace('batchpilot-hygiene-');
  sim = await startSimulator({ apiKey: KEY, latencyMs: 1, seed: 7 });
  input = await temp.write('in.jsonl', toJsonl(chatBatchLines(5)));
});

after(async () => {
  await killRunningClis();
  await sim.close();
  await temp.remove();
});

function run(args: string[], env: Record<string, string> = { HYGIENE_KEY: KEY }): ReturnType<typeof runCli> {
  return runCli(['--workspace', temp.workspace, ...args], { cwd: temp.dir, env });
}

const target = (): string[] => ['--base-url', sim.baseUrl, '--api-key-env', 'HYGIENE_KEY', '--no-progress'];

describe('output hygiene', () => {
  it('simulate --json prints its address as JSON through the real CLI', async () => {
    const cli = startCli(['simulate', '--port', '0', '--json'], { cwd: temp.dir });
    await waitFor(() => cli.stdout.includes('\n') || cli.child.exitCode !== null, 'the simulator announcement');
    cli.child.kill('SIGTERM');
    const result = await cli.done;
    const [announcement] = jsonLines(result.stdout);
    assert.match(String(announcement?.['baseUrl']), /^http:\/\/127\.0\.0\.1:\d+\/v1$/, describeResult(result));
  });

  it('monitor into a closed pipe ends quietly, without a stack trace', async () => {
    const done = await run(['--json', 'run', input, '--job', 'piped', ...target()]);
    assert.equal(done.code, 0, describeResult(done));
    const cli = startCli(['--workspace', temp.workspace, 'monitor', 'piped'], { cwd: temp.dir });
    // The reader goes away before the first view is written, as `head` does after its lines.
    cli.child.stdout?.destroy();
    const result = await cli.done;
    assert.equal(result.code, 0, describeResult(result));
    assert.doesNotMatch(result.stderr, /EPIPE|internal error|\n\s+at /, describeResult(result));
  });

  it('run --json after a 401 prints one JSON document holding the outcome and the error', async () => {
    const result = await run(['--json', 'run', input, '--job', 'refused', ...target()], {
      HYGIENE_KEY: 'sk-wrong-0123456789abcdef',
    });
    assert.equal(result.code, 2, describeResult(result));
    assert.equal(jsonLines(result.stdout).length, 1, describeResult(result));
    assert.equal(runOutput(result)?.outcome, 'auth_failed', describeResult(result));
    assert.equal(cliError(result)?.code, 'AUTH_FAILED', describeResult(result));
  });

  it("--out naming another job's folder is refused, whichever workspace that job is in", async () => {
    const out = join(temp.dir, 'shared-out');
    const first = await run(['--json', 'run', input, '--job', 'owner', '--out', out, ...target()]);
    assert.equal(first.code, 0, describeResult(first));
    const second = await run(['--json', 'run', input, '--job', 'intruder', '--out', out, ...target()]);
    assert.equal(cliError(second)?.code, 'OUT_DIR_IN_USE', describeResult(second));
    assert.equal(second.code, 2, describeResult(second));
    const elsewhere = await runCli(
      ['--workspace', join(temp.dir, 'other-ws'), '--json', 'run', input, '--out', out, ...target()],
      { cwd: temp.dir, env: { HYGIENE_KEY: KEY } },
    );
    assert.equal(cliError(elsewhere)?.code, 'OUT_DIR_IN_USE', describeResult(elsewhere));
  });
});
