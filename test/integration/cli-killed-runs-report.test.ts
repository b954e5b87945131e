import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkResultFiles } from '../helpers/check-result-files.ts';
import { describeResult, killRunningClis, runCli, startCli, waitFor } from '../helpers/run-cli.ts';
import { type SimulatorHandle, startSimulator } from '../helpers/start-simulator.ts';
import { chatBatchLines, createTempWorkspace, type TempWorkspace, toJsonl } from '../helpers/temp-workspace.ts';

/**
 * report.json covers the whole job, every run of it, killed ones included (before: only the last run, so a job that
 * ran 266 s over 37 runs said 14.3 s), and a completed job killed while `resume` rewrites its files stays completed.
 *
 * The time bound is not a timing assertion on our speed: the simulator holds every answer `LATENCY_MS`, and one
 * request at a time means a killed run ran at least answered x LATENCY_MS; its heartbeats (every 2 s) count all of
 * it but the last interval.
 */

const ITEMS = 100;
const LATENCY_MS = 100;
const PER_RUN = 40;
const HEARTBEAT_S = 2;

describe('reports of killed runs', () => {
  let temp: TempWorkspace;
  let sim: SimulatorHandle;
  let input: string;

  before(async () => {
    temp = await createTempWorkspace();
    input = await temp.write('input.jsonl', toJsonl(chatBatchLines(ITEMS)));
    sim = await startSimulator({ latencyMs: LATENCY_MS });
  });

  after(async () => {
    await killRunningClis();
    await sim.close();
    await temp.remove();
  });

  const cli = (args: string[], env: Record<string, string> = {}) =>
    startCli(['--workspace', temp.workspace, '--json', ...args, '--no-progress'], { cwd: temp.dir, env });

  it('sum the active time of every run, killed ones included', async () => {
    const commands = [
      ['run', input, '--job', 'k', '--base-url', sim.baseUrl, '--concurrency', '1'],
      ['resume', 'k', '--concurrency', '1'],
    ];
    let lowerBoundS = 0;
    for (const args of commands) {
      const answeredBefore = sim.stats().answered200;
      const child = cli(args);
      await waitFor(() => sim.stats().answered200 - answeredBefore >= PER_RUN, `${String(PER_RUN)} answers`);
      child.child.kill('SIGKILL');
      const killed = await child.done;
      assert.equal(killed.signal, 'SIGKILL', describeResult(killed));
      const answered = sim.stats().answered200 - answeredBefore;
      lowerBoundS += Math.max(0, (answered * LATENCY_MS) / 1000 - HEARTBEAT_S);
    }
    const final = await cli(['resume', 'k', '--concurrency', '32']).done;
    assert.equal(final.code, 0, describeResult(final));
    await checkResultFiles({ inputPath: input, jobDir: temp.jobDir('k') });
    const report = JSON.parse(await readFile(join(temp.jobDir('k'), 'report.json'), 'utf8')) as {
      wall_time_s: number;
      throughput_rps: number;
      attempts: number;
    };
    const story = `report: ${JSON.stringify(report)}; lower bound ${String(lowerBoundS)} s`;
    assert.ok(report.wall_time_s >= lowerBoundS, story);
    assert.ok(report.throughput_rps <= ITEMS / lowerBoundS, story);
    assert.ok(report.attempts >= ITEMS, story);
  });

  it('keep a completed job completed when resume is killed while rewriting its files', async () => {
    const done = await cli(['run', input, '--job', 'c', '--base-url', sim.baseUrl, '--concurrency', '32']).done;
    assert.equal(done.code, 0, describeResult(done));
    const before = await readFile(join(temp.jobDir('c'), 'report.json'), 'utf8');
    const killed = await cli(['resume', 'c'], { BATCHPILOT_CRASH_AT: 'before-result-files-commit' }).done;
    assert.equal(killed.signal, 'SIGKILL', describeResult(killed));
    const shown = await runCli(['--workspace', temp.workspace, '--json', 'status', 'c'], { cwd: temp.dir });
    assert.equal((JSON.parse(shown.stdout) as { state: string }).state, 'completed', shown.stdout);
    assert.equal(await readFile(join(temp.jobDir('c'), 'report.json'), 'utf8'), before, 'the report is unchanged');
    const again = await cli(['resume', 'c']).done;
    assert.equal(again.code, 0, describeResult(again));
    await checkResultFiles({ inputPath: input, jobDir: temp.jobDir('c') });
  });
});
