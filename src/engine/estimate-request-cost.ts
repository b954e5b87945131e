import { requestModel, type ItemRecord, type PreparedRequest } from '../core/item.ts';
import { costUsd, findPrice, type ModelPrice } from '../plan/price-table.ts';
import { outputBound } from '../plan/estimate-tokens.ts';
import { OUTPUT_TOKENS_WITHOUT_BOUND } from '../plan/plan-job.ts';

export interface RequestCost {
  costUsd: number;
  price: ModelPrice | null;
}

/**
 * What a request may cost before it is sent, for `limits.budget_usd`: its input tokens and
 * its full output bound at its model's price (the safe side). An unpriced model costs 0 here;
 * `run` refuses a budget with an unpriced model unless approved.
 */
export function createRequestCoster(
  countTokens: (text: string) => number,
  prices: Readonly<Record<string, ModelPrice>>,
): (request: PreparedRequest) => RequestCost {
  const byModel = new Map<string, ModelPrice | null>();
  return (request) => {
    const model = requestModel(request) ?? '';
    let price = byModel.get(model);
    if (price === undefined) {
      price = findPrice(model, prices) ?? null;
      byModel.set(model, price);
    }
    if (price === null) return { costUsd: 0, price };
    const output = outputBound(request.body) ?? OUTPUT_TOKENS_WITHOUT_BOUND;
    return { costUsd: costUsd(price, countTokens(request.body), output), price };
  };
}

/** The cost of an answer already received, from the model and `usage` in its body. */
export function answeredCost(item: ItemRecord, prices: Readonly<Record<string, ModelPrice>>): number {
  if (item.state !== 'succeeded' || item.responseBody === null) return 0;
  return answerCost(item.responseBody, prices);
}

/** The cost of one answer body (OpenAI or Anthropic `usage`); 0 when its model has no price or the body no usage. */
export function answerCost(responseBody: string | Uint8Array, prices: Readonly<Record<string, ModelPrice>>): number {
  try {
    const text =
      typeof responseBody === 'string'
        ? responseBody
        : Buffer.from(responseBody.buffer, responseBody.byteOffset, responseBody.byteLength).toString('utf8');
    const body = JSON.parse(text) as {
      model?: unknown;
      usage?: { prompt_tokens?: unknown; completion_tokens?: unknown; input_tokens?: unknown; output_tokens?: unknown };
    };
    const price = typeof body.model === 'string' ? findPrice(body.model, prices) : undefined;
    if (price === undefined) return 0;
    const usage = body.usage ?? {};
    const input = Number(usage.prompt_tokens ?? usage.input_tokens ?? 0) || 0;
    const output = Number(usage.completion_tokens ?? usage.output_tokens ?? 0) || 0;
    return costUsd(price, input, output);
  } catch {
    return 0;
  }
}
