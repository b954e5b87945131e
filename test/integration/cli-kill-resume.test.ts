import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { checkResultFiles } from '../helpers/check-result-files.ts';
import { delay, describeResult, killRunningClis, runCli, startCli, waitFor } from '../helpers/run-cli.ts';
import { type SimulatorHandle, startSimulator } from '../helpers/start-simulator.ts';
import { chatBatchLines, createTempWorkspace, type TempWorkspace, toJsonl } from '../helpers/temp-workspace.ts';
import { createTestSeed } from '../helpers/test-seed.ts';

/**
 * SPEC sections 6 and 8: kill -9 at random moments, then `resume`, several times over; the end result is still exactly
 * one result per item, and the only requests answered 200 twice are those in flight at a kill (at most `concurrency`
 * per kill, since a request holds its slot until its outcome is committed). The kill points and the simulator's fault
 * dice come from the test seed, printed in every assertion message.
 */

const ITEMS = 2000;
const CONCURRENCY = 8;
const JOB = 'killed';

interface KillPoint {
  command: 'run' | 'resume';
  /** Kill `delayMs` after the process started, or after the simulator saw its first request. */
  from: 'spawn' | 'first-request';
  delayMs: number;
}

const seed = createTestSeed(import.meta.url);

describe('kill -9 and resume', () => {
  let temp: TempWorkspace;
  let sim: SimulatorHandle;
  let input: string;

  before(async () => {
    temp = await createTempWorkspace();
    input = await temp.write('input.jsonl', toJsonl(chatBatchLines(ITEMS)));
    sim = await startSimulator({
      latencyMs: 15,
      jitterMs: 5,
      retryAfterMs: 20,
      hangMs: 10_000,
      seed: seed.derive(1),
      failureRates: {
        http500: 0.03,
        http429: 0.005,
        resetBeforeResponse: 0.02,
        resetMidBody: 0.02,
        hang: 0.005,
        malformed: 0.02,
      },
    });
  });

  after(async () => {
    await killRunningClis();
    await sim.close();
    await temp.remove();
  });

  const common = ['--no-progress', '--set', 'retry.base_delay_ms=10', '--set', 'retry.max_delay_ms=100'];

  it('keeps exactly-once results and at most `concurrency` duplicates per kill', async (t) => {
    const kills: KillPoint[] = [
      { command: 'run', from: 'first-request', delayMs: seed.between(100, 800) },
      { command: 'resume', from: 'spawn', delayMs: seed.between(300, 1500) },
      { command: 'resume', from: 'first-request', delayMs: seed.between(0, 600) },
    ];
    const story = `kill points: ${JSON.stringify(kills)}; ${seed.note}`;
    t.diagnostic(story);
    await seed.withNote(() => killAndResume(t, kills, story));
  });

  async function killAndResume(t: TestContext, kills: readonly KillPoint[], story: string): Promise<void> {
    for (const [index, kill] of kills.entries()) {
      const args =
        kill.command === 'run'
          ? ['run', input, '--job', JOB, '--base-url', sim.baseUrl, '--max-attempts', '12', '--timeout-ms', '600']
          : ['resume', JOB];
      const requestsBefore = sim.stats().generationRequests;
      const child = startCli(['--workspace', temp.workspace, '--json', ...args, '--concurrency', '8', ...common], {
        cwd: temp.dir,
      });
      if (kill.from === 'first-request') {
        await waitFor(() => sim.stats().generationRequests > requestsBefore, `requests of run ${String(index)}`);
      }
      await delay(kill.delayMs);
      child.child.kill('SIGKILL');
      const result = await child.done;
      assert.equal(
        result.signal,
        'SIGKILL',
        `run ${String(index)} ended before its kill; ${story}\n${describeResult(result)}`,
      );
    }

    const beforeFinal = sim.stats();
    const final = await runCli(
      ['--workspace', temp.workspace, '--json', 'resume', JOB, '--concurrency', '32', ...common],
      { cwd: temp.dir },
    );
    assert.equal(final.code, 0, `${story}\n${describeResult(final)}`);

    const files = await checkResultFiles({ inputPath: input, jobDir: temp.jobDir(JOB) });
    assert.equal(files.succeeded.length, ITEMS, story);
    assert.equal(files.report.state, 'completed');

    const stats = sim.stats();
    t.diagnostic(
      `${story}; answered before the final resume ${String(beforeFinal.answered200)}, duplicates ${String(stats.duplicates)}`,
    );
    assert.ok(beforeFinal.answered200 < ITEMS, `the kills came too late to test anything; ${story}`);
    assert.ok(
      stats.duplicates <= CONCURRENCY * kills.length,
      `${String(stats.duplicates)} duplicates for ${String(kills.length)} kills at concurrency ${String(CONCURRENCY)}; ${story}`,
    );
    assert.equal(stats.answered200 - stats.duplicates, ITEMS, 'every item answered 200, duplicates aside');
  }
});
