import { stat } from 'node:fs/promises';
import type { ResolvedConfig } from '../config/config-schema.ts';
import { HARD_CAPS } from '../config/config-schema.ts';
import { ConfigError } from '../errors/index.ts';
import { assertWithinCaps, type Approvals, type CapFacts } from '../plan/check-safety-caps.ts';
import { planJob } from '../plan/plan-job.ts';
import { toRunSettings } from './job-settings.ts';

/** Smallest plausible line, to tell whether a file could hold more items than the hard cap at all. */
const MIN_LINE_BYTES = 20;

/**
 * The safety policy before a job is created: concurrency always; items when `limits.max_items`
 * is set (or the file is big enough to pass the hard cap); the estimated cost when
 * `limits.budget_usd` is set. Counting items and tokens reads the whole input, so it is done
 * only when a cap asks for it.
 */
export async function checkRunCaps(config: ResolvedConfig, inputPath: string, approvals: Approvals): Promise<void> {
  assertWithinCaps(config, {}, approvals);
  const size = (await stat(inputPath)).size;
  const needItems = config.limits.max_items > 0 || size > HARD_CAPS.itemsPerJob * MIN_LINE_BYTES;
  const needCost = config.limits.budget_usd > 0;
  if (!needItems && !needCost) return;
  const settings = toRunSettings(config);
  const plan = await planJob({
    inputPath,
    parser: settings.parser,
    maxLineBytes: settings.maxLineBytes,
    limit: 0,
    chunkLimits: null,
    prices: config.prices,
    countTokens: needCost,
  });
  const facts: CapFacts = { items: config.limit > 0 ? Math.min(config.limit, plan.items) : plan.items };
  if (needCost && plan.cost !== null) {
    if (plan.cost.unpriced_models.length > 0 && !approvals.budget) {
      const model = plan.cost.unpriced_models[0] ?? '';
      throw new ConfigError(
        'CONFIG_INVALID',
        `limits.budget_usd is set but model "${model}" has no known price, so the budget cannot be kept; add prices.${model}: { input_per_mtok, output_per_mtok } to the config`,
        { context: { key: `prices.${model}` } },
      );
    }
    facts.estimatedCostUsd = plan.cost.realtime_usd;
  }
  assertWithinCaps(config, facts, approvals);
}
