import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkResultFiles } from '../helpers/check-result-files.ts';
import { cliError, describeResult, runCli } from '../helpers/run-cli.ts';
import { type SimulatorHandle, startSimulator } from '../helpers/start-simulator.ts';
import { chatBatchLines, createTempWorkspace, type TempWorkspace, toJsonl } from '../helpers/temp-workspace.ts';

/** `plan` (dry run), the safety caps with their approval flags, `logs` and `monitor`. */

interface PlanOutput {
  plan: {
    items: number;
    rejected: number;
    chunks: number | null;
    models: { model: string; items: number; input_tokens: number }[];
    cost: { realtime_usd: number; batch_usd: number } | null;
  };
  models_checked: { model: string; exists: boolean }[];
  caps: { code: string }[];
}

describe('plan, caps, logs and monitor', () => {
  let temp: TempWorkspace;
  let sim: SimulatorHandle;
  let input: string;

  before(async () => {
    temp = await createTempWorkspace('batchpilot-plan-');
    input = await temp.write(
      'input.jsonl',
      toJsonl([...chatBatchLines(300, { prefix: 'plan', model: 'gpt-4o-mini' }), '{not json']),
    );
    sim = await startSimulator({});
  });

  after(async () => {
    await sim.close();
    await temp.remove();
  });

  const cli = (args: string[]) => runCli(['--workspace', temp.workspace, '--json', ...args], { cwd: temp.dir });

  it('plan counts items, rejects, tokens, cost and chunks, and sends no generation request', async () => {
    sim.resetStats();
    const result = await cli([
      'plan',
      input,
      '--base-url',
      sim.baseUrl,
      '--set',
      'mode=batch',
      '--set',
      'chunk.max_requests=100',
    ]);
    assert.equal(result.code, 0, describeResult(result));
    const output = JSON.parse(result.stdout) as PlanOutput;
    assert.equal(output.plan.items, 300);
    assert.equal(output.plan.rejected, 1);
    assert.equal(output.plan.chunks, 3);
    assert.equal(output.plan.models[0]?.model, 'gpt-4o-mini');
    assert.ok((output.plan.models[0]?.input_tokens ?? 0) > 300 * 10);
    assert.ok((output.plan.cost?.realtime_usd ?? 0) > 0);
    assert.equal(
      output.plan.cost?.batch_usd,
      Math.round((output.plan.cost?.realtime_usd ?? 0) * 0.5 * 10_000) / 10_000,
    );
    assert.deepEqual(output.models_checked, [{ model: 'gpt-4o-mini', exists: true, detail: null }]);
    assert.equal(sim.stats().generationRequests, 0);
  });

  it('plan fails on a model the provider does not know, before any request', async () => {
    sim.resetStats();
    const unknown = await temp.write('unknown.jsonl', toJsonl(chatBatchLines(5, { model: 'unknown-model-x' })));
    const result = await cli(['plan', unknown, '--base-url', sim.baseUrl]);
    assert.equal(result.code, 2, describeResult(result));
    assert.equal(cliError(result)?.code, 'MODEL_NOT_FOUND');
    assert.match(cliError(result)?.message ?? '', /unknown-model-x/);
    assert.equal(sim.stats().generationRequests, 0);
  });

  it('a concurrency over limits.concurrency needs --approve-concurrency; the hard cap passes never', async () => {
    sim.resetStats();
    const base = ['run', input, '--base-url', sim.baseUrl, '--set', 'limits.concurrency=8', '--no-progress'];
    const refused = await cli([...base, '--job', 'caps-c', '--concurrency', '16']);
    assert.equal(refused.code, 2, describeResult(refused));
    assert.equal(cliError(refused)?.code, 'CONCURRENCY_REQUIRES_APPROVAL');
    assert.match(cliError(refused)?.message ?? '', /--approve-concurrency/);
    assert.equal(sim.stats().generationRequests, 0);

    const approved = await cli([...base, '--job', 'caps-c2', '--concurrency', '16', '--approve-concurrency']);
    assert.equal(approved.code, 0, describeResult(approved));

    const hard = await cli([...base, '--job', 'caps-c3', '--concurrency', '5000', '--approve-concurrency']);
    assert.equal(hard.code, 2, describeResult(hard));
    assert.equal(cliError(hard)?.code, 'CONCURRENCY_OVER_HARD_CAP');
  });

  it('more items than limits.max_items need --approve-items; a cost over the budget needs --approve-budget', async () => {
    sim.resetStats();
    const items = await cli([
      'run',
      input,
      '--job',
      'caps-i',
      '--base-url',
      sim.baseUrl,
      '--set',
      'limits.max_items=100',
    ]);
    assert.equal(items.code, 2, describeResult(items));
    assert.equal(cliError(items)?.code, 'ITEMS_REQUIRES_APPROVAL');
    assert.match(cliError(items)?.message ?? '', /--approve-items/);

    const budget = await cli([
      'run',
      input,
      '--job',
      'caps-b',
      '--base-url',
      sim.baseUrl,
      '--set',
      'limits.budget_usd=0.0001',
    ]);
    assert.equal(budget.code, 2, describeResult(budget));
    assert.equal(cliError(budget)?.code, 'BUDGET_REQUIRES_APPROVAL');
    assert.equal(sim.stats().generationRequests, 0);

    const approved = await cli([
      'run',
      input,
      '--job',
      'caps-i2',
      '--base-url',
      sim.baseUrl,
      '--set',
      'limits.max_items=100',
      '--approve-items',
      '--no-progress',
    ]);
    assert.equal(approved.code, 0, describeResult(approved));
  });

  it('a job stops sending at limits.budget_usd; what it could not afford is missing with reason budget', async () => {
    const budgeted = await temp.write('budget.jsonl', toJsonl(chatBatchLines(300, { prefix: 'budget' })));
    const result = await cli([
      'run',
      budgeted,
      '--job',
      'budget',
      '--base-url',
      sim.baseUrl,
      '--concurrency',
      '4',
      '--set',
      'limits.budget_usd=0.001',
      '--approve-budget',
      '--no-progress',
    ]);
    assert.equal(result.code, 3, describeResult(result));
    const files = await checkResultFiles({ inputPath: budgeted, jobDir: temp.jobDir('budget') });
    assert.ok(files.succeeded.length > 10, `${String(files.succeeded.length)} answered before the budget`);
    assert.ok(files.missing.length > 100, `${String(files.missing.length)} missing`);
    assert.equal(files.report.missing_by_reason['budget'], files.missing.length);
    assert.equal(files.succeeded.length + files.missing.length, 300);
  });

  it('in batch mode a chunk holds only what the budget left can pay for, and the answers spend at most the budget', async () => {
    const budgeted = await temp.write('budget-batch.jsonl', toJsonl(chatBatchLines(300, { prefix: 'bbudget' })));
    // sim-model: 0.15 / 0.6 USD per Mtok, half in batch; a line is estimated at its input plus all 16 max_tokens.
    const budgetUsd = 0.0008;
    const result = await cli([
      'run',
      budgeted,
      '--job',
      'budget-batch',
      '--base-url',
      sim.baseUrl,
      '--set',
      'mode=batch',
      '--set',
      'chunk.max_requests=50',
      '--set',
      'poll_interval_s=0.1',
      '--set',
      `limits.budget_usd=${String(budgetUsd)}`,
      '--approve-budget',
      '--no-progress',
    ]);
    assert.equal(result.code, 3, describeResult(result));
    const files = await checkResultFiles({ inputPath: budgeted, jobDir: temp.jobDir('budget-batch') });
    // At least what the estimates afford (about 100 lines); answers cost less than estimated, so a little more.
    assert.ok(files.succeeded.length >= 90, `${String(files.succeeded.length)} answered`);
    assert.ok(files.missing.length >= 100, `${String(files.missing.length)} missing`);
    assert.equal(files.report.missing_by_reason['budget'], files.missing.length);
    assert.equal(files.succeeded.length + files.missing.length, 300);
    const output = await readFile(join(temp.jobDir('budget-batch'), 'output.jsonl'), 'utf8');
    let spentUsd = 0;
    for (const line of output.trim().split('\n')) {
      const usage = (JSON.parse(line) as { response: { body: { usage: Record<string, number> } } }).response.body.usage;
      spentUsd += (((usage['prompt_tokens'] ?? 0) * 0.15 + (usage['completion_tokens'] ?? 0) * 0.6) / 1e6) * 0.5;
    }
    assert.ok(spentUsd <= budgetUsd, `spent ${String(spentUsd)} of ${String(budgetUsd)}`);
  });

  it('logs prints the job log redacted, and monitor shows a finished job and returns', async () => {
    const logs = await runCli(['--workspace', temp.workspace, 'logs', 'caps-c2'], { cwd: temp.dir });
    assert.equal(logs.code, 0, describeResult(logs));
    assert.match(logs.stdout, /info {2}job-start/);
    assert.match(logs.stdout, /job-end/);
    const monitor = await cli(['monitor', 'caps-c2', '--interval-ms', '50']);
    assert.equal(monitor.code, 0, describeResult(monitor));
    const last = JSON.parse(monitor.stdout.trim().split('\n').at(-1) ?? '{}') as {
      done: number;
      total: number;
      status: { state: string; rate_rps: number; eta_s: number | null; last_progress_age_s: number | null };
      recentFailures: unknown[];
    };
    assert.equal(last.status.state, 'completed');
    assert.equal(last.status.eta_s, null);
    assert.ok(last.status.last_progress_age_s !== null, 'the last finished item is dated');
    assert.deepEqual(last.recentFailures, []);
    assert.equal(last.done, 300);
    assert.equal(last.total, 300);
  });
});
