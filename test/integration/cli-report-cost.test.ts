import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { describeResult, killRunningClis, runCli, runOutput } from '../helpers/run-cli.ts';
import { withSimulator } from '../helpers/start-simulator.ts';
import { chatBatchLines, createTempWorkspace, toJsonl } from '../helpers/temp-workspace.ts';
import { runArgs } from '../helpers/run-args.ts';

/**
 * Issue 10 section 6, "cost in the report": report.json and the summary give what the job cost in USD at the price
 * table's rate, and what the same job would cost in the other mode.
 */

after(killRunningClis);

/** gpt-4o-mini's row of the built-in table, USD per million tokens. */
const PRICE = { input: 0.15, output: 0.6 };

interface CostReport {
  tokens: { input: number; output: number };
  cost?: { usd: number | null; mode: string; other_mode: { mode: string; usd: number | null }; model: string };
}

function expectedRealtime(report: CostReport): number {
  return (report.tokens.input * PRICE.input + report.tokens.output * PRICE.output) / 1_000_000;
}

describe('cost in the report', () => {
  for (const mode of ['realtime', 'batch'] as const) {
    it(`${mode}: the cost at the price table's rate, and the other mode's`, async () => {
      const temp = await createTempWorkspace('batchpilot-cost-');
      try {
        const input = await temp.write('in.jsonl', toJsonl(chatBatchLines(20, { model: 'gpt-4o-mini' })));
        await withSimulator({ latencyMs: 1, seed: 9, batchLifetimeMs: 200 }, async (sim) => {
          const result = await runCli(
            runArgs(temp, input, { baseUrl: sim.baseUrl }, [
              '--set',
              `mode=${mode}`,
              '--set',
              'poll_interval_s=0.1',
              '--no-progress',
            ]),
            { cwd: temp.dir, env: { OPENAI_API_KEY: undefined } },
          );
          assert.equal(result.code, 0, describeResult(result));
          const report = runOutput(result)?.report as unknown as CostReport;
          assert.ok(report.tokens.input > 0, describeResult(result));
          const realtime = expectedRealtime(report);
          const cost = report.cost;
          assert.ok(cost !== undefined, describeResult(result));
          assert.equal(cost.mode, mode);
          assert.equal(cost.model, 'gpt-4o-mini');
          const [own, other] = mode === 'realtime' ? [realtime, realtime / 2] : [realtime / 2, realtime];
          assert.ok(Math.abs((cost.usd ?? -1) - own) < 1e-6, `${JSON.stringify(cost)} vs ${String(own)}`);
          assert.equal(cost.other_mode.mode, mode === 'realtime' ? 'batch' : 'realtime');
          assert.ok(
            Math.abs((cost.other_mode.usd ?? -1) - other) < 1e-6,
            `${JSON.stringify(cost)} vs ${String(other)}`,
          );
        });
      } finally {
        await temp.remove();
      }
    });
  }
});
