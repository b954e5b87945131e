import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkResultFiles } from '../helpers/check-result-files.ts';
import {
  cliError,
  delay,
  describeResult,
  killRunningClis,
  runCli,
  runOutput,
  startCli,
  waitFor,
} from '../helpers/run-cli.ts';
import { type SimulatorHandle, startSimulator } from '../helpers/start-simulator.ts';
import { chatBatchLines, createTempWorkspace, type TempWorkspace, toJsonl } from '../helpers/temp-workspace.ts';
import { createTestSeed } from '../helpers/test-seed.ts';
import { runArgs } from '../helpers/run-args.ts';

/**
 * SPEC section 5: Ctrl-C stops cleanly with exit 130 and leaves a resumable job (`interrupted`, its unfinished items
 * in missing_records.jsonl); `resume` then finishes it with exit 0 and exact result files.
 */

const ITEMS = 1500;
const JOB = 'stopped';

interface StatusOutput {
  job_id: string;
  state: string;
  counts: { total: number; pending: number; succeeded: number; failed: number; missing: number };
  runner: unknown;
}

const seed = createTestSeed(import.meta.url);

describe('SIGINT and resume', () => {
  let temp: TempWorkspace;
  let sim: SimulatorHandle;
  let input: string;

  before(async () => {
    temp = await createTempWorkspace();
    input = await temp.write('input.jsonl', toJsonl(chatBatchLines(ITEMS)));
    sim = await startSimulator({ latencyMs: 20, jitterMs: 5, failureRates: { http500: 0.02 }, seed: seed.derive(1) });
  });

  after(async () => {
    await killRunningClis();
    await sim.close();
    await temp.remove();
  });

  const common = ['--no-progress', '--set', 'retry.base_delay_ms=10', '--set', 'retry.max_delay_ms=100'];

  it('exits 130 with a resumable job, and resume finishes it with exit 0', (t) =>
    seed.withNote(async () => {
      const child = startCli(
        runArgs(temp, input, { job: JOB, baseUrl: sim.baseUrl }, [
          '--concurrency',
          '8',
          '--max-attempts',
          '10',
          ...common,
        ]),
        { cwd: temp.dir },
      );
      await waitFor(() => sim.stats().answered200 >= 50, 'the first answers');
      await delay(200);
      child.child.kill('SIGINT');
      const stopped = await child.done;
      assert.equal(stopped.code, 130, describeResult(stopped));
      assert.equal(runOutput(stopped)?.outcome, 'interrupted');
      assert.equal(cliError(stopped), undefined);

      // Lines the job had not read when it stopped are recorded as missing too: the partition covers the whole file.
      const partial = await checkResultFiles({ inputPath: input, jobDir: temp.jobDir(JOB) });
      assert.equal(partial.report.state, 'interrupted');
      assert.ok(partial.succeeded.length > 0, 'some items were done before the stop');
      assert.ok(partial.missing.length > 0, 'the stop came too late: nothing is missing');
      assert.equal(partial.failed.length, 0);
      assert.equal(partial.report.counts.total, ITEMS);
      t.diagnostic(
        `at the stop: ${String(partial.succeeded.length)} succeeded, ${String(partial.missing.length)} missing`,
      );
      assert.equal(partial.report.missing_by_reason['interrupted'] ?? 0, partial.missing.length);

      const status = await runCli(['--workspace', temp.workspace, '--json', 'status', JOB], { cwd: temp.dir });
      assert.equal(status.code, 0, describeResult(status));
      const shown = JSON.parse(status.stdout) as StatusOutput;
      assert.equal(shown.state, 'interrupted');
      assert.equal(shown.runner, null, 'the lease is released');
      assert.equal(shown.counts.succeeded, partial.succeeded.length);

      const answeredBefore = sim.stats().answered200;
      const resumed = await runCli(
        ['--workspace', temp.workspace, '--json', 'resume', JOB, '--concurrency', '32', ...common],
        { cwd: temp.dir },
      );
      assert.equal(resumed.code, 0, describeResult(resumed));
      assert.equal(runOutput(resumed)?.outcome, 'completed');

      const files = await checkResultFiles({ inputPath: input, jobDir: temp.jobDir(JOB) });
      assert.equal(files.succeeded.length, ITEMS);
      assert.equal(files.missing.length + files.failed.length, 0);
      assert.equal(files.report.state, 'completed');
      // A clean stop commits what it waited for: nothing done before is sent again.
      assert.equal(sim.stats().duplicates, 0);
      assert.equal(sim.stats().answered200 - answeredBefore, ITEMS - partial.succeeded.length);
    }));
});
