import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lines, useBatchJobFixture } from './batch-job-fixture.ts';
import { FakeBatchProvider } from './fake-batch-provider.ts';

/**
 * Batch mode's budget (`limits.budget_usd`), against an in-memory provider and a temp store: a chunk holds only what
 * the budget left can pay for at batch prices, what its answers really cost is counted when it is merged, and the
 * job ends `budget` with the lines it could not afford missing for that reason.
 */

/** USD per million tokens; each fake answer uses 10 + 10 tokens, so costs 20 * 100 / 1e6 * 0.5 = 0.001 USD. */
const PRICES = { 'sim-model': { input_per_mtok: 100, output_per_mtok: 100 } };
const ANSWER_USD = 0.001;

describe('runBatchJob: budget', () => {
  const fixture = useBatchJobFixture();

  it('sends what the budget can pay for, and leaves the rest missing with reason budget', async () => {
    const provider = new FakeBatchProvider();
    const budgetUsd = 0.02;
    // Small chunks one at a time: each is merged (its real cost counted) before the next is cut.
    const result = await fixture.run('budget', lines(40, 'budget'), provider, {
      budgetUsd,
      prices: PRICES,
      chunkMaxRequests: 3,
      maxConcurrent: 1,
    });
    assert.equal(result.outcome, 'budget');
    const { succeeded, missing, failed } = result.report.counts;
    assert.ok(succeeded > 0, 'some lines were affordable');
    assert.ok(missing > 0, 'some lines were not');
    assert.equal(failed, 0);
    assert.equal(succeeded + missing, 40);
    assert.equal(result.report.missing_by_reason['budget'], missing);
    assert.ok(succeeded * ANSWER_USD <= budgetUsd, `${String(succeeded)} answers spent more than ${String(budgetUsd)}`);
    assert.equal(provider.sent.size, succeeded, 'no line was sent that did not come back answered');
    // Answers cost less than their estimates (16 output tokens each): later chunks use what earlier ones left, and
    // the chunk the budget cut short is the last.
    assert.ok(provider.batches.size >= 2, `${String(provider.batches.size)} chunks, ${String(succeeded)} answered`);
  });

  it('without a budget, no price is needed and nothing is held back', async () => {
    const provider = new FakeBatchProvider();
    const result = await fixture.run('no-budget', lines(40, 'free'), provider);
    assert.equal(result.outcome, 'completed');
    assert.equal(result.report.counts.succeeded, 40);
  });
});
