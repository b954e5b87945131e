import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRequestCoster } from '../../../../src/engine/estimate-request-cost.ts';
import { ProviderError } from '../../../../src/errors/index.ts';
import { createTokenCounter } from '../../../../src/plan/estimate-tokens.ts';
import { BATCH_PRICE_FACTOR } from '../../../../src/plan/price-table.ts';
import { lines, useBatchJobFixture } from './batch-job-fixture.ts';
import { FakeBatchProvider } from './fake-batch-provider.ts';

/**
 * A chunk closed without a merge (its upload refused) gives its budget reservation back in the turn it closes, so
 * the same lines can be cut again under a budget that fits them once: the job is not ended `budget` by an estimate
 * still held for lines that went back to pending.
 */

const PRICES = { 'sim-model': { input_per_mtok: 100, output_per_mtok: 100 } };

describe('runBatchJob: budget after a refused chunk', () => {
  const fixture = useBatchJobFixture();

  it('sends a refused chunk again when the budget fits its lines once', async () => {
    const input = lines(4, 'refused');
    const costOf = createRequestCoster(await createTokenCounter(), PRICES);
    let estimateUsd = 0;
    for (const text of input) {
      const { url, body } = JSON.parse(text) as { url: string; body: unknown };
      estimateUsd += costOf({ method: 'POST', url, body: JSON.stringify(body) }).costUsd * BATCH_PRICE_FACTOR;
    }
    // Room for the four lines once, and for not even one more of them.
    const budgetUsd = estimateUsd * 1.05;
    const provider = new FakeBatchProvider();
    provider.failNext('upload', ProviderError.generate(400, 'HTTP 400: refused', {}));
    const result = await fixture.run('refused', input, provider, { budgetUsd, prices: PRICES });
    assert.equal(result.outcome, 'completed', `budget ${String(budgetUsd)} USD, estimate ${String(estimateUsd)} USD`);
    assert.equal(result.report.counts.succeeded, 4);
    assert.equal(provider.calls.upload, 2, 'refused once, then uploaded');
  });
});
