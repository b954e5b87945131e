import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkResultFiles } from '../helpers/check-result-files.ts';
import { describeResult, killRunningClis, runOutput, startCli } from '../helpers/run-cli.ts';
import { sharedRunArgs, workerArgs } from '../helpers/shared-run-args.ts';
import { startPostgres, type PostgresHandle } from '../helpers/start-postgres.ts';
import { type SimulatorHandle, startSimulator } from '../helpers/start-simulator.ts';
import { chatBatchLines, createTempWorkspace, type TempWorkspace, toJsonl } from '../helpers/temp-workspace.ts';

/**
 * Issue 14 §3: limits hold across the workers of a job (docs/decisions/0032). Three processes (the submitting one and
 * two `worker`s) share `rate_limit.rpm: 5000` against a simulator that enforces 6,000 rpm: no 429, and the job takes
 * about N / 5,000 minutes, as one process would.
 */

const ITEMS = 1000;
const RPM = 5000;

describe('limits shared by three workers over PostgreSQL', () => {
  let temp: TempWorkspace;
  let sim: SimulatorHandle;
  let postgres: PostgresHandle;
  let url: string;
  let input: string;

  before(async () => {
    temp = await createTempWorkspace('batchpilot-workers-limits-');
    [sim, postgres] = await Promise.all([startSimulator({ latencyMs: 20, seed: 3, rpm: 6000 }), startPostgres()]);
    url = await postgres.createDatabase('limits');
    input = await temp.write('input.jsonl', toJsonl(chatBatchLines(ITEMS)));
  });

  after(async () => {
    await killRunningClis();
    await sim.close();
    await postgres.stop();
    await temp.remove();
  });

  it('holds rate_limit.rpm across three workers: no 429, wall time within 15% of N / rpm', async () => {
    const jobId = 'shared-rpm';
    const options = { cwd: temp.dir, timeoutMs: 55_000 };
    const target = { temp, url, jobId };
    const workers = [0, 1].map(() => startCli(workerArgs(target), options));
    const startedAt = Date.now();
    const result = await startCli(
      sharedRunArgs(target, input, sim.baseUrl, ['--concurrency', '64', '--rpm', String(RPM)]),
      options,
    ).done;
    const wallS = (Date.now() - startedAt) / 1000;
    assert.equal(result.code, 0, describeResult(result));
    assert.equal(runOutput(result)?.outcome, 'completed');
    const files = await checkResultFiles({ inputPath: input, jobDir: temp.jobDir(jobId) });
    assert.equal(files.succeeded.length, ITEMS);
    const stats = sim.stats();
    assert.equal(stats.faults.rateLimited, 0, 'the simulator refused requests over its 6,000 rpm');
    // The two workers each sent part of the job: the limit held across them, not within one of them.
    for (const worker of workers) worker.child.kill('SIGTERM');
    const ended = await Promise.all(workers.map((worker) => worker.done));
    for (const worker of ended) assert.equal(worker.code, 0, describeResult(worker));
    const expectedS = (ITEMS / RPM) * 60;
    // Start-up (the store, the input committed and cut) comes on top of the sending; the bound is the 15 %.
    assert.ok(
      wallS <= expectedS * 1.15 + 3,
      `${wallS.toFixed(1)} s for ${String(ITEMS)} requests at ${String(RPM)} rpm (${expectedS.toFixed(1)} s)`,
    );
    assert.ok(wallS >= expectedS * 0.85, `${wallS.toFixed(1)} s: faster than ${String(RPM)} rpm allows`);
  });

  it('holds limits.budget_usd across three workers: spent stays within the budget and what was out', async () => {
    const jobId = 'shared-budget';
    const lines = 3000;
    const concurrency = 16;
    const budgetInput = await temp.write('budget.jsonl', toJsonl(chatBatchLines(lines, { prefix: 'budget' })));
    // sim-model: 0.15 / 0.6 USD per Mtok; a line is estimated at its input plus all 16 max_tokens (about 400 lines).
    const budgetUsd = 0.005;
    const options = { cwd: temp.dir, timeoutMs: 55_000 };
    const target = { temp, url, jobId };
    const workers = [0, 1].map(() => startCli(workerArgs(target), options));
    const result = await startCli(
      sharedRunArgs(target, budgetInput, sim.baseUrl, [
        '--concurrency',
        String(concurrency),
        '--set',
        `limits.budget_usd=${String(budgetUsd)}`,
        '--approve-budget',
      ]),
      options,
    ).done;
    for (const worker of workers) worker.child.kill('SIGTERM');
    for (const worker of await Promise.all(workers.map((w) => w.done))) {
      assert.equal(worker.code, 0, describeResult(worker));
    }
    assert.equal(result.code, 3, describeResult(result));
    assert.equal(runOutput(result)?.outcome, 'budget');
    const files = await checkResultFiles({ inputPath: budgetInput, jobDir: temp.jobDir(jobId) });
    assert.ok(files.succeeded.length > 100, `${String(files.succeeded.length)} answered before the budget`);
    assert.equal(files.report.missing_by_reason['budget'], files.missing.length);
    assert.equal(files.succeeded.length + files.missing.length, lines);
    const output = await readFile(join(temp.jobDir(jobId), 'output.jsonl'), 'utf8');
    let spentUsd = 0;
    let largest = 0;
    for (const line of output.trim().split('\n')) {
      const usage = (JSON.parse(line) as { response: { body: { usage: Record<string, number> } } }).response.body.usage;
      const cost = ((usage['prompt_tokens'] ?? 0) * 0.15 + (usage['completion_tokens'] ?? 0) * 0.6) / 1e6;
      spentUsd += cost;
      largest = Math.max(largest, cost);
    }
    // What three processes of `concurrency` each can have out when the budget is reached, each at most a request's
    // estimate (input + 16 output tokens): bounded here by twice the dearest answer.
    const inFlightUsd = 3 * concurrency * 2 * largest;
    assert.ok(
      spentUsd <= budgetUsd + inFlightUsd,
      `spent ${spentUsd.toFixed(6)} of ${String(budgetUsd)} (+ ${inFlightUsd.toFixed(6)} in flight)`,
    );
    assert.ok(spentUsd >= budgetUsd * 0.5, `spent only ${spentUsd.toFixed(6)} of ${String(budgetUsd)}`);
  });
});
