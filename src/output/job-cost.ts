import type { Job } from '../core/job.ts';
import { BATCH_PRICE_FACTOR, costUsd, findPrice, type ModelPrice } from '../plan/price-table.ts';

/** What a job cost, in report.json and the run's summary. */
export interface JobCost {
  /** US dollars at the price of the mode the job ran in; null when its model has no known price. */
  usd: number | null;
  mode: 'realtime' | 'batch';
  /** What the same tokens would have cost in the other mode (`batch` at the Batch API's discount). */
  other_mode: { mode: 'realtime' | 'batch'; usd: number | null };
  /** The model priced: the one the first answer names (what the provider billed), else the config's `model`. */
  model: string | null;
  /** USD per million tokens used, realtime; null when unpriced (add it under `prices` in the config). */
  price: ModelPrice | null;
}

export interface JobCostOptions {
  mode: 'realtime' | 'batch';
  model: string | null;
  inputTokens: number;
  outputTokens: number;
  /** The config's `prices`, over the built-in table. */
  prices: Readonly<Record<string, ModelPrice>>;
  /** The Batch API's price factor against realtime (the batch report's `discount`). */
  batchFactor?: number;
}

/**
 * The cost of a job from the tokens its attempts were billed (`usage` of every answer, retries
 * included) at the price table's rate (`src/plan/price-table.ts`, overridden by `prices`). A job
 * is priced at one model; one that mixes models is priced at the model of its first answer.
 */
export function computeJobCost(options: JobCostOptions): JobCost {
  const factor = options.batchFactor ?? BATCH_PRICE_FACTOR;
  const price = options.model === null ? undefined : findPrice(options.model, options.prices);
  const realtime = price === undefined ? null : costUsd(price, options.inputTokens, options.outputTokens);
  const batch = realtime === null ? null : realtime * factor;
  const round = (usd: number | null): number | null => (usd === null ? null : Math.round(usd * 1e6) / 1e6);
  const other = options.mode === 'batch' ? 'realtime' : 'batch';
  return {
    usd: round(options.mode === 'batch' ? batch : realtime),
    mode: options.mode,
    other_mode: { mode: other, usd: round(other === 'batch' ? batch : realtime) },
    model: options.model,
    price: price ?? null,
  };
}

/**
 * What `tokens` cost at `model` in the mode and with the `prices` of `job`'s stored config: the live figures of
 * `status` and the dashboard; null when the model has no price.
 */
export function priceJobTokens(
  job: Pick<Job, 'config'>,
  model: string | null,
  tokens: { inputTokens: number; outputTokens: number },
): number | null {
  return computeJobCost({
    mode: job.config.mode === 'batch' ? 'batch' : 'realtime',
    model,
    inputTokens: tokens.inputTokens,
    outputTokens: tokens.outputTokens,
    prices: job.config.prices ?? {},
  }).usd;
}
