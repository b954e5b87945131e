import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkResultFiles } from '../helpers/check-result-files.ts';
import { describeResult } from '../helpers/run-cli.ts';
import { chatBatchLines, toJsonl } from '../helpers/temp-workspace.ts';
import { useCliWorkspace } from '../helpers/use-cli-workspace.ts';

/** `limits.budget_usd`: a job stops sending at its budget, in realtime and in batch mode. */

describe('budget', () => {
  const ws = useCliWorkspace({ prefix: 'batchpilot-budget-' });
  const { cli } = ws;

  it('a job stops sending at limits.budget_usd; what it could not afford is missing with reason budget', async () => {
    const budgeted = await ws.temp.write('budget.jsonl', toJsonl(chatBatchLines(300, { prefix: 'budget' })));
    const result = await cli([
      'run',
      budgeted,
      '--job',
      'budget',
      '--base-url',
      ws.sim.baseUrl,
      '--concurrency',
      '4',
      '--set',
      'limits.budget_usd=0.001',
      '--approve-budget',
      '--no-progress',
    ]);
    assert.equal(result.code, 3, describeResult(result));
    const files = await checkResultFiles({ inputPath: budgeted, jobDir: ws.temp.jobDir('budget') });
    assert.ok(files.succeeded.length > 10, `${String(files.succeeded.length)} answered before the budget`);
    assert.ok(files.missing.length > 100, `${String(files.missing.length)} missing`);
    assert.equal(files.report.missing_by_reason['budget'], files.missing.length);
    assert.equal(files.succeeded.length + files.missing.length, 300);
  });

  it('in batch mode a chunk holds only what the budget left can pay for, and the answers spend at most the budget', async () => {
    const budgeted = await ws.temp.write('budget-batch.jsonl', toJsonl(chatBatchLines(300, { prefix: 'bbudget' })));
    // sim-model: 0.15 / 0.6 USD per Mtok, half in batch; a line is estimated at its input plus all 16 max_tokens.
    const budgetUsd = 0.0008;
    const result = await cli([
      'run',
      budgeted,
      '--job',
      'budget-batch',
      '--base-url',
      ws.sim.baseUrl,
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
    const files = await checkResultFiles({ inputPath: budgeted, jobDir: ws.temp.jobDir('budget-batch') });
    // At least what the estimates afford (about 100 lines); answers cost less than estimated, so a little more.
    assert.ok(files.succeeded.length >= 90, `${String(files.succeeded.length)} answered`);
    assert.ok(files.missing.length >= 100, `${String(files.missing.length)} missing`);
    assert.equal(files.report.missing_by_reason['budget'], files.missing.length);
    assert.equal(files.succeeded.length + files.missing.length, 300);
    const output = await readFile(join(ws.temp.jobDir('budget-batch'), 'output.jsonl'), 'utf8');
    let spentUsd = 0;
    for (const line of output.trim().split('\n')) {
      const usage = (JSON.parse(line) as { response: { body: { usage: Record<string, number> } } }).response.body.usage;
      spentUsd += (((usage['prompt_tokens'] ?? 0) * 0.15 + (usage['completion_tokens'] ?? 0) * 0.6) / 1e6) * 0.5;
    }
    assert.ok(spentUsd <= budgetUsd, `spent ${String(spentUsd)} of ${String(budgetUsd)}`);
  });
});
