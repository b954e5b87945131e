import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cliError, describeResult, runCli } from '../helpers/run-cli.ts';
import { chatBatchLines } from '../helpers/temp-workspace.ts';
import { useCliWorkspace } from '../helpers/use-cli-workspace.ts';

/** The safety caps with their approval flags; `logs` and `monitor` on the job one of them ran. */

describe('caps, logs and monitor', () => {
  const ws = useCliWorkspace({
    prefix: 'batchpilot-plan-',
    inputLines: [...chatBatchLines(300, { prefix: 'plan', model: 'gpt-4o-mini' }), '{not json'],
  });
  const { cli } = ws;

  it('a concurrency over limits.concurrency needs --approve-concurrency; the hard cap passes never', async () => {
    ws.sim.resetStats();
    const base = ['run', ws.input, '--base-url', ws.sim.baseUrl, '--set', 'limits.concurrency=8', '--no-progress'];
    const refused = await cli([...base, '--job', 'caps-c', '--concurrency', '16']);
    assert.equal(refused.code, 2, describeResult(refused));
    assert.equal(cliError(refused)?.code, 'CONCURRENCY_REQUIRES_APPROVAL');
    assert.match(cliError(refused)?.message ?? '', /--approve-concurrency/);
    assert.equal(ws.sim.stats().generationRequests, 0);

    const approved = await cli([...base, '--job', 'caps-c2', '--concurrency', '16', '--approve-concurrency']);
    assert.equal(approved.code, 0, describeResult(approved));

    const hard = await cli([...base, '--job', 'caps-c3', '--concurrency', '5000', '--approve-concurrency']);
    assert.equal(hard.code, 2, describeResult(hard));
    assert.equal(cliError(hard)?.code, 'CONCURRENCY_OVER_HARD_CAP');
  });

  it('more items than limits.max_items need --approve-items; a cost over the budget needs --approve-budget', async () => {
    ws.sim.resetStats();
    const items = await cli([
      'run',
      ws.input,
      '--job',
      'caps-i',
      '--base-url',
      ws.sim.baseUrl,
      '--set',
      'limits.max_items=100',
    ]);
    assert.equal(items.code, 2, describeResult(items));
    assert.equal(cliError(items)?.code, 'ITEMS_REQUIRES_APPROVAL');
    assert.match(cliError(items)?.message ?? '', /--approve-items/);

    const budget = await cli([
      'run',
      ws.input,
      '--job',
      'caps-b',
      '--base-url',
      ws.sim.baseUrl,
      '--set',
      'limits.budget_usd=0.0001',
    ]);
    assert.equal(budget.code, 2, describeResult(budget));
    assert.equal(cliError(budget)?.code, 'BUDGET_REQUIRES_APPROVAL');
    assert.equal(ws.sim.stats().generationRequests, 0);

    const approved = await cli([
      'run',
      ws.input,
      '--job',
      'caps-i2',
      '--base-url',
      ws.sim.baseUrl,
      '--set',
      'limits.max_items=100',
      '--approve-items',
      '--no-progress',
    ]);
    assert.equal(approved.code, 0, describeResult(approved));
  });

  it('logs prints the job log redacted, and monitor shows a finished job and returns', async () => {
    const logs = await runCli(['--workspace', ws.temp.workspace, 'logs', 'caps-c2'], { cwd: ws.temp.dir });
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
