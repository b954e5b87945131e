import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cliError, describeResult } from '../helpers/run-cli.ts';
import { chatBatchLines, toJsonl } from '../helpers/temp-workspace.ts';
import { useCliWorkspace } from '../helpers/use-cli-workspace.ts';

/** `plan` (dry run): what it counts, and a model the provider does not know. */

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

describe('plan', () => {
  const ws = useCliWorkspace({
    prefix: 'batchpilot-plan-',
    inputLines: [...chatBatchLines(300, { prefix: 'plan', model: 'gpt-4o-mini' }), '{not json'],
  });
  const { cli } = ws;

  it('plan counts items, rejects, tokens, cost and chunks, and sends no generation request', async () => {
    ws.sim.resetStats();
    const result = await cli([
      'plan',
      ws.input,
      '--base-url',
      ws.sim.baseUrl,
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
    assert.equal(ws.sim.stats().generationRequests, 0);
  });

  it('plan fails on a model the provider does not know, before any request', async () => {
    ws.sim.resetStats();
    const unknown = await ws.temp.write('unknown.jsonl', toJsonl(chatBatchLines(5, { model: 'unknown-model-x' })));
    const result = await cli(['plan', unknown, '--base-url', ws.sim.baseUrl]);
    assert.equal(result.code, 2, describeResult(result));
    assert.equal(cliError(result)?.code, 'MODEL_NOT_FOUND');
    assert.match(cliError(result)?.message ?? '', /unknown-model-x/);
    assert.equal(ws.sim.stats().generationRequests, 0);
  });
});
