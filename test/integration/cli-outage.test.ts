import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cliError, describeResult, runCli, runOutput, startCli, waitFor } from '../helpers/run-cli.ts';
import { type SimulatorHandle, startSimulator } from '../helpers/start-simulator.ts';
import { chatBatchLines, createTempWorkspace, type TempWorkspace, toJsonl } from '../helpers/temp-workspace.ts';

/**
 * A whole-endpoint outage during a realtime run (the simulator refuses every connection) is waited out: no item is
 * failed for it, even with `retry.max_attempts: 2` and short backoffs that would fail every item sent meanwhile. An
 * outage longer than `outage.max_wait_s` stops the job as interrupted (ENDPOINT_UNREACHABLE, exit 2) with nothing
 * failed, and `resume` finishes it once the endpoint is back.
 */

const ITEMS = 300;
const SETTINGS = ['--set', 'concurrency=8', '--set', 'retry.max_attempts=2', '--set', 'retry.base_delay_ms=10'];

describe('a whole-endpoint outage in realtime', () => {
  let temp: TempWorkspace;
  let sim: SimulatorHandle;
  let input: string;

  before(async () => {
    temp = await createTempWorkspace('batchpilot-outage-');
    input = await temp.write('input.jsonl', toJsonl(chatBatchLines(ITEMS, { prefix: 'out' })));
    sim = await startSimulator({ latencyMs: 5, seed: 7 });
  });

  after(async () => {
    await sim.endOutage();
    await sim.close();
    await temp.remove();
  });

  function start(job: string, extra: string[] = []) {
    return startCli(
      ['--workspace', temp.workspace, '--json', 'run', input, '--job', job, '--base-url', sim.baseUrl, '--no-progress']
        .concat(SETTINGS)
        .concat(extra),
      { cwd: temp.dir, env: { OPENAI_API_KEY: 'sk-test' } },
    );
  }

  it('waits out a short outage and fails no item for it', async () => {
    sim.resetStats();
    const run = start('short');
    await waitFor(() => sim.stats().generationRequests >= 40, 'the run to be under way');
    await sim.setOutage({ mode: 'refuse', durationMs: 1500 });
    const result = await run.done;
    assert.equal(result.code, 0, describeResult(result));
    const counts = runOutput(result)?.report.counts;
    assert.deepEqual([counts?.['succeeded'], counts?.['failed']], [ITEMS, 0], describeResult(result));
  });

  it('stops as interrupted after outage.max_wait_s, failing nothing, and resume finishes once it is back', async () => {
    sim.resetStats();
    const run = start('long', ['--set', 'outage.max_wait_s=1']);
    await waitFor(() => sim.stats().generationRequests >= 40, 'the run to be under way');
    await sim.setOutage({ mode: 'refuse', durationMs: 60_000 });
    const result = await run.done;
    assert.equal(result.code, 2, describeResult(result));
    assert.equal(cliError(result)?.code, 'ENDPOINT_UNREACHABLE', describeResult(result));
    const status = await runCli(['--workspace', temp.workspace, '--json', 'status', 'long'], { cwd: temp.dir });
    const shown = JSON.parse(status.stdout) as { state: string; counts: { failed: number } };
    assert.equal(shown.state, 'interrupted', status.stdout);
    assert.equal(shown.counts.failed, 0, status.stdout);

    await sim.endOutage();
    const resumed = await runCli(['--workspace', temp.workspace, '--json', 'resume', 'long', '--no-progress'], {
      cwd: temp.dir,
      env: { OPENAI_API_KEY: 'sk-test' },
    });
    assert.equal(resumed.code, 0, describeResult(resumed));
    const counts = runOutput(resumed)?.report.counts;
    assert.deepEqual([counts?.['succeeded'], counts?.['failed']], [ITEMS, 0], describeResult(resumed));
  });
});
