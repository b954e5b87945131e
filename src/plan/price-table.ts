/** What the Batch APIs (OpenAI, Zhipu, Azure, Anthropic) charge against realtime prices. */
export const BATCH_PRICE_FACTOR = 0.5;

/** US dollars per million tokens. */
export interface ModelPrice {
  input_per_mtok: number;
  output_per_mtok: number;
}

/**
 * List prices of common models for `plan` and `limits.budget_usd`, realtime (the Batch APIs
 * take about half). They drift: `prices` in the config overrides any of them, and a model
 * found in neither is reported as unpriced rather than guessed.
 */
export const BUILT_IN_PRICES: Readonly<Record<string, ModelPrice>> = {
  'gpt-4o-mini': { input_per_mtok: 0.15, output_per_mtok: 0.6 },
  'gpt-4o': { input_per_mtok: 2.5, output_per_mtok: 10 },
  'gpt-4.1': { input_per_mtok: 2, output_per_mtok: 8 },
  'gpt-4.1-mini': { input_per_mtok: 0.4, output_per_mtok: 1.6 },
  'gpt-4.1-nano': { input_per_mtok: 0.1, output_per_mtok: 0.4 },
  'o3-mini': { input_per_mtok: 1.1, output_per_mtok: 4.4 },
  'o4-mini': { input_per_mtok: 1.1, output_per_mtok: 4.4 },
  'text-embedding-3-small': { input_per_mtok: 0.02, output_per_mtok: 0 },
  'text-embedding-3-large': { input_per_mtok: 0.13, output_per_mtok: 0 },
  'claude-3-5-haiku': { input_per_mtok: 0.8, output_per_mtok: 4 },
  'claude-haiku-4-5': { input_per_mtok: 1, output_per_mtok: 5 },
  'claude-sonnet-4': { input_per_mtok: 3, output_per_mtok: 15 },
  'claude-sonnet-4-5': { input_per_mtok: 3, output_per_mtok: 15 },
  'claude-opus-4': { input_per_mtok: 15, output_per_mtok: 75 },
  'glm-4-flash': { input_per_mtok: 0, output_per_mtok: 0 },
  'glm-4-plus': { input_per_mtok: 0.7, output_per_mtok: 0.7 },
  // The simulator's own model, so the quickstart's plan shows a figure.
  'sim-model': { input_per_mtok: 0.15, output_per_mtok: 0.6 },
};

/**
 * The price of `model`: the config's `prices` first, then the table; a dated or suffixed id
 * (`gpt-4o-mini-2024-07-18`, `claude-sonnet-4-20250514`) falls back to its longest known prefix.
 */
export function findPrice(model: string, overrides: Readonly<Record<string, ModelPrice>> = {}): ModelPrice | undefined {
  const exact = overrides[model] ?? BUILT_IN_PRICES[model];
  if (exact !== undefined) return exact;
  let best: string | undefined;
  for (const known of [...Object.keys(overrides), ...Object.keys(BUILT_IN_PRICES)]) {
    if (model.startsWith(`${known}-`) && (best === undefined || known.length > best.length)) best = known;
  }
  return best === undefined ? undefined : (overrides[best] ?? BUILT_IN_PRICES[best]);
}

export function costUsd(price: ModelPrice, inputTokens: number, outputTokens: number): number {
  return (inputTokens * price.input_per_mtok + outputTokens * price.output_per_mtok) / 1_000_000;
}
