import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { checkDataJob, DATA_JOB_SETTINGS, dataKillSimulator, writeDataJob } from '../helpers/data-kill-job.ts';
import { delay, describeResult, killRunningClis, startCli, waitFor } from '../helpers/run-cli.ts';
import { createTestSeed } from '../helpers/test-seed.ts';
import { useCliWorkspace } from '../helpers/use-cli-workspace.ts';

/**
 * Issue 12, tests: kill -9 at random points of a 5,000-row, 3-prompt data job with re-asks, in realtime, then resume
 * until it completes. The first kill may land anywhere from start-up through prepare to the first requests (`run`
 * again with the same `--job` carries on, or prepares again if the job was not created yet); the next ones after a
 * seeded number of answers, while answers and re-asks are in flight; the last in the join-back, once the enriched
 * dataset is written and before its report (the resume after it sends nothing). At the end: every source row once,
 * in order, every (row, prompt, sample) that should have an answer in exactly one state (the report agreeing), every
 * custom_id in exactly one result file; and the only requests answered twice are those in flight at a kill (at most
 * `concurrency` per kill), each the same request again (the simulator's `duplicates`). Kill points and the
 * simulator's fault dice come from the test seed, printed in every assertion message.
 */

const CONCURRENCY = 16;
const JOB = 'data-killed';

/**
 * `spawn`: kill `delayMs` after the process started (start-up, prepare or the first requests). `answers`: kill once the
 * simulator has answered `answers` more requests since the process started: mid-job whatever the machine's speed.
 */
type KillPoint = { command: 'run' | 'resume' } & (
  { from: 'spawn'; delayMs: number } | { from: 'answers'; answers: number }
);

const seed = createTestSeed(import.meta.url);

describe('a data job killed -9 in realtime, then resumed', () => {
  // Registered first so it runs first: no killed run's CLI outlives the simulator and the folder it uses.
  after(killRunningClis);
  const ws = useCliWorkspace({ prefix: 'batchpilot-data-kill-', simulator: dataKillSimulator(seed.derive(1)) });
  let files: { data: string; prompts: string };

  before(async () => {
    files = await writeDataJob(ws.temp);
  });

  it('ends with every (row, prompt, sample) once and at most `concurrency` answers repeated per kill', async (t) => {
    const kills: KillPoint[] = [
      { command: 'run', from: 'spawn', delayMs: seed.between(300, 2500) },
      { command: 'run', from: 'answers', answers: seed.between(200, 3000) },
      { command: 'resume', from: 'answers', answers: seed.between(1000, 4000) },
      { command: 'resume', from: 'answers', answers: seed.between(1, 3000) },
    ];
    const story = `kill points: ${JSON.stringify(kills)}; ${seed.note}`;
    t.diagnostic(story);
    await seed.withNote(() => killAndResume(t, kills, story));
  });

  const common = ['--no-progress', '--concurrency', String(CONCURRENCY)];

  async function killAndResume(t: TestContext, kills: readonly KillPoint[], story: string): Promise<void> {
    for (const [index, kill] of kills.entries()) {
      const args =
        kill.command === 'run'
          ? [
              'run',
              files.data,
              '--prompts',
              files.prompts,
              '--job',
              JOB,
              '--base-url',
              ws.sim.baseUrl,
              ...DATA_JOB_SETTINGS,
            ]
          : ['resume', JOB];
      const answeredBefore = ws.sim.stats().answered200;
      const child = startCli(['--workspace', ws.temp.workspace, '--json', ...args, ...common], { cwd: ws.temp.dir });
      if (kill.from === 'spawn') await delay(kill.delayMs);
      else {
        const wanted = answeredBefore + kill.answers;
        await waitFor(
          () => ws.sim.stats().answered200 >= wanted,
          `${String(kill.answers)} answers to run ${String(index)}`,
        );
      }
      child.child.kill('SIGKILL');
      const result = await child.done;
      assert.equal(
        result.signal,
        'SIGKILL',
        `run ${String(index)} ended before its kill; ${story}\n${describeResult(result)}`,
      );
    }

    // The last run goes to the end and is killed in the join-back, with enriched.jsonl written and not its report.
    const beforeLast = ws.sim.stats();
    const resume = ['resume', JOB, ...common];
    const last = await ws.cli(resume, { env: { BATCHPILOT_CRASH_AT: 'before-integration-report' } });
    assert.equal(last.signal, 'SIGKILL', `the join-back was not killed; ${story}\n${describeResult(last)}`);
    const answeredToTheEnd = ws.sim.stats().answered200;
    const final = await ws.cli(resume);
    assert.equal(final.code, 0, `${story}\n${describeResult(final)}`);
    assert.equal(
      ws.sim.stats().answered200,
      answeredToTheEnd,
      'a resume of a job killed in its join-back sent requests',
    );

    const tally = await checkDataJob(ws.temp.jobDir(JOB));
    const stats = ws.sim.stats();
    // Every answer is an item's original request or one of its re-asks (the store's count, in the answers' meta), or
    // a request answered again after a kill because its answer was not committed yet.
    const answeredAgain = stats.answered200 - tally.items - tally.reasks;
    t.diagnostic(
      `${story}; ${String(tally.items)} items, ${String(tally.reasks)} re-asks; answered before the last resume ${String(beforeLast.answered200)}, answered again after a kill ${String(answeredAgain)}`,
    );
    assert.ok(tally.reasks > 0, 'no re-ask happened');
    assert.ok(beforeLast.answered200 < tally.items, `the kills came too late to test anything; ${story}`);
    assert.ok(answeredAgain >= 0, `${String(-answeredAgain)} requests the store counts were never answered`);
    assert.ok(
      answeredAgain <= CONCURRENCY * kills.length,
      `${String(answeredAgain)} requests answered again for ${String(kills.length)} kills at concurrency ${String(CONCURRENCY)}`,
    );
    // And each of those was the very request the killed run had sent (rebuilt alike, decision 0019 §4): a body the
    // simulator had answered before. Alike bodies of a clean run: the samples of a row, and a re-ask that repeats an
    // earlier one of its item when the model repeated its answer; so the repeats are at least the samples' plus these.
    assert.ok(
      stats.duplicates - tally.repeatedSampleBodies >= answeredAgain,
      `${String(answeredAgain)} requests answered again, but only ${String(stats.duplicates - tally.repeatedSampleBodies)} repeated bodies beyond the samples': a resumed run sent a request the killed one had not`,
    );
  }
});
