import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createSchedulerStore } from '../../src/store/create-store.ts';
import { isProcessAlive } from '../../src/util/is-process-alive.ts';
import { describeResult, killRunningClis, runCli, type CliResult, waitFor } from '../helpers/run-cli.ts';
import { type SimulatorHandle, startSimulator } from '../helpers/start-simulator.ts';
import { chatBatchLines, createTempWorkspace, type TempWorkspace, toJsonl } from '../helpers/temp-workspace.ts';

/**
 * Issue 10 section 6, "detached jobs": `monitor` right after `run --detach` waits for the job instead of ending on
 * `created 0/0`; `wait JOB` exits with the job's outcome; `resume --detach` hands a job to the scheduler; a scheduler
 * without the key a job needs warns at once and leaves that job unstarted instead of sending it keyless.
 */

const KEY = 'sk-detachwait-0123456789abcdef';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  await killRunningClis();
  for (const cleanup of cleanups) await cleanup();
});

interface Case {
  temp: TempWorkspace;
  sim: SimulatorHandle;
  cli: (args: string[], env?: Record<string, string | undefined>) => Promise<CliResult>;
}

async function createCase(latencyMs: number): Promise<Case> {
  const temp = await createTempWorkspace('batchpilot-dwait-');
  const sim = await startSimulator({ apiKey: KEY, latencyMs, seed: 11 });
  cleanups.push(async () => {
    // Every scheduler of this workspace, found through its lock, dies before the folder goes.
    const schedulerStore = createSchedulerStore({ workspace: temp.workspace });
    const lock = await schedulerStore.readLock();
    await schedulerStore.close();
    if (lock !== undefined && isProcessAlive(lock.pid)) process.kill(lock.pid, 'SIGKILL');
    await sim.close();
    await temp.remove();
  });
  return {
    temp,
    sim,
    cli: (args, env = { WAIT_KEY: KEY }) =>
      runCli(['--workspace', temp.workspace, '--json', ...args], { cwd: temp.dir, env }),
  };
}

const idleExit = ['--set', 'scheduler.idle_exit_s=2'];

describe('detached jobs for scripts', () => {
  it('monitor right after run --detach waits for the job, and wait exits 0', async () => {
    const { temp, sim, cli } = await createCase(5);
    const input = await temp.write('in.jsonl', toJsonl(chatBatchLines(40)));
    const target = ['--base-url', sim.baseUrl, '--api-key-env', 'WAIT_KEY', ...idleExit];
    const detached = await cli(['run', input, '--detach', '--job', 'quick', '--concurrency', '4', ...target]);
    assert.equal(detached.code, 0, describeResult(detached));

    const monitor = await cli(['monitor', 'quick', '--interval-ms', '100']);
    assert.equal(monitor.code, 0, describeResult(monitor));
    const last = JSON.parse(monitor.stdout.trim().split('\n').at(-1) ?? '{}') as {
      done: number;
      status: { state: string };
    };
    assert.equal(last.status.state, 'completed', describeResult(monitor));
    assert.equal(last.done, 40, describeResult(monitor));

    const wait = await cli(['wait', 'quick']);
    assert.equal(wait.code, 0, describeResult(wait));
  });

  it('wait exits 2 for a job stopped by a 401; resume --detach with the key finishes it and wait exits 0', async () => {
    const { temp, sim, cli } = await createCase(1);
    const input = await temp.write('in.jsonl', toJsonl(chatBatchLines(30)));
    const target = ['--base-url', sim.baseUrl, '--api-key-env', 'WAIT_KEY', '--no-progress'];
    const refused = await cli(['run', input, '--job', 'keyed', ...target], { WAIT_KEY: 'sk-wrong-0123456789abcdef' });
    assert.equal(refused.code, 2, describeResult(refused));
    const waitFailed = await cli(['wait', 'keyed']);
    assert.equal(waitFailed.code, 2, describeResult(waitFailed));

    const resumed = await cli(['resume', 'keyed', '--detach', ...idleExit]);
    assert.equal(resumed.code, 0, describeResult(resumed));
    const wait = await cli(['wait', 'keyed', '--interval-ms', '100']);
    assert.equal(wait.code, 0, describeResult(wait));
    assert.equal((JSON.parse(wait.stdout) as { counts: { succeeded: number } }).counts.succeeded, 30);
  });

  it('a scheduler started without the key warns and leaves a job that needs one unstarted', async () => {
    const { temp, sim, cli } = await createCase(25);
    const input = await temp.write('in.jsonl', toJsonl(chatBatchLines(1000)));
    const target = ['--base-url', sim.baseUrl, '--api-key-env', 'WAIT_KEY', '--concurrency', '2', ...idleExit];
    const detached = await cli(['run', input, '--detach', '--job', 'long', ...target]);
    assert.equal(detached.code, 0, describeResult(detached));
    const first = (JSON.parse(detached.stdout) as { scheduler: { pid: number } }).scheduler.pid;
    await waitFor(() => sim.stats().answered200 >= 20, 'the detached job to be under way');
    process.kill(first, 'SIGKILL');
    await waitFor(() => !isProcessAlive(first), 'the scheduler to die');

    // A new scheduler from a shell without WAIT_KEY: the queued job needs the key it was created with.
    const start = await cli(['scheduler', 'start', '--set', 'api_key_env=WAIT_KEY', ...idleExit], {});
    assert.equal(start.code, 0, describeResult(start));
    assert.match(start.stderr, /batchpilot: warning: .*WAIT_KEY/, describeResult(start));
    const log = join(temp.workspace, 'scheduler.log');
    const logText = (): string => (existsSync(log) ? readFileSync(log, 'utf8') : '');
    await waitFor(() => logText().includes('API_KEY_MISSING'), `the scheduler to refuse the keyless job\n${logText()}`);
    assert.equal(sim.stats().faults.unauthorized, 0, 'nothing was sent without the key');
    const wait = await cli(['wait', 'long'], {});
    assert.equal(wait.code, 130, describeResult(wait));
  });
});
