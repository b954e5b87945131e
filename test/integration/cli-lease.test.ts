import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkResultFiles } from '../helpers/check-result-files.ts';
import { cliError, describeResult, killRunningClis, runCli, startCli, waitFor } from '../helpers/run-cli.ts';
import { type SimulatorHandle, startSimulator } from '../helpers/start-simulator.ts';
import { chatBatchLines, createTempWorkspace, type TempWorkspace, toJsonl } from '../helpers/temp-workspace.ts';

/**
 * SPEC section 8: a running job holds a lease. A second `run --job ID` or `resume ID` while the first process is alive
 * is refused (exit 2, JOB_LOCKED) and changes nothing; once the first is killed -9, its lease is taken over at once
 * (same host, dead pid) and the job finishes exactly once.
 */

const ITEMS = 600;
const SLOW_CONCURRENCY = 2;
const JOB = 'leased';

interface StatusOutput {
  state: string;
  runner: { pid: number; host: string; heartbeat_age_ms: number } | null;
}

describe('job lease', () => {
  let temp: TempWorkspace;
  let sim: SimulatorHandle;
  let input: string;

  before(async () => {
    temp = await createTempWorkspace();
    input = await temp.write('input.jsonl', toJsonl(chatBatchLines(ITEMS)));
    // At concurrency 2 and 30 ms a request, the first run needs about 9 s: it is alive for the whole check.
    sim = await startSimulator({ latencyMs: 30 });
  });

  after(async () => {
    await killRunningClis();
    await sim.close();
    await temp.remove();
  });

  it('refuses a second process while the first lives, and is taken over after kill -9', async () => {
    const cli = (args: string[]) => ['--workspace', temp.workspace, '--json', ...args, '--no-progress'];
    const runArgs = ['run', input, '--job', JOB, '--base-url', sim.baseUrl, '--concurrency', String(SLOW_CONCURRENCY)];
    const first = startCli(cli(runArgs), { cwd: temp.dir });
    await waitFor(() => sim.stats().answered200 >= 10, 'the first run to be under way');

    const [resumed, rerun, status] = await Promise.all([
      runCli(cli(['resume', JOB]), { cwd: temp.dir }),
      // The same command again, as a user who forgot the first one is running would type it.
      runCli(cli(runArgs), { cwd: temp.dir }),
      runCli(['--workspace', temp.workspace, '--json', 'status', JOB], { cwd: temp.dir }),
    ]);
    for (const refused of [resumed, rerun]) {
      assert.equal(refused.code, 2, describeResult(refused));
      assert.equal(cliError(refused)?.code, 'JOB_LOCKED', describeResult(refused));
    }
    assert.equal(status.code, 0, describeResult(status));
    const shown = JSON.parse(status.stdout) as StatusOutput;
    assert.equal(shown.state, 'running');
    assert.equal(shown.runner?.pid, first.child.pid);
    assert.equal(first.child.exitCode, null, 'the first run is still going');

    first.child.kill('SIGKILL');
    const killed = await first.done;
    assert.equal(killed.signal, 'SIGKILL', describeResult(killed));
    const answeredBeforeTakeover = sim.stats().answered200;
    assert.ok(answeredBeforeTakeover < ITEMS, 'the first run finished before the kill');

    const takeover = await runCli(cli(['resume', JOB, '--concurrency', '32']), { cwd: temp.dir });
    assert.equal(takeover.code, 0, describeResult(takeover));

    const files = await checkResultFiles({ inputPath: input, jobDir: temp.jobDir(JOB) });
    assert.equal(files.succeeded.length, ITEMS);
    const stats = sim.stats();
    assert.ok(stats.duplicates <= SLOW_CONCURRENCY, `${String(stats.duplicates)} duplicates after one kill`);
    assert.equal(stats.answered200 - stats.duplicates, ITEMS);
    assert.equal(files.report.state, 'completed');
  });
});
