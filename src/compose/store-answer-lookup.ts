import type { TokenUsage } from '../core/item.ts';
import type { AnswerCheckLike, AnswerLookup, AnswerRecord } from '../output/answer-record.ts';
import { BATCH_PRICE_FACTOR, costUsd, findPrice, type ModelPrice } from '../plan/price-table.ts';
import type { ItemAnswer } from '../store/item-store.ts';
import type { Store } from '../store/store.ts';

export interface StoreAnswerLookupOptions {
  store: Store;
  jobId: string;
  mode: 'realtime' | 'batch';
  /** The config's `prices`, over the built-in table. */
  prices: Readonly<Record<string, ModelPrice>>;
}

/**
 * Join-back's answers read from the store, a page of custom_ids per query (`Store.answersFor`), each priced at the
 * rate of the mode the job runs in (batch at the Batch API's discount), as the job's report prices its tokens.
 */
export function storeAnswerLookup(options: StoreAnswerLookupOptions): AnswerLookup {
  const factor = options.mode === 'batch' ? BATCH_PRICE_FACTOR : 1;
  // Each answer is priced twice (all attempts, re-asks) and a dated model name (`gpt-4o-mini-2024-07-18`) makes
  // `findPrice` scan the whole table: found once per model a job's answers name.
  const prices = new Map<string, ModelPrice | undefined>();
  const findModelPrice = (model: string): ModelPrice | undefined => {
    if (!prices.has(model)) prices.set(model, findPrice(model, options.prices));
    return prices.get(model);
  };
  const priceOf = (usage: TokenUsage | null, model: string | null): number | null | undefined => {
    if (usage === null) return undefined;
    const price = model === null ? undefined : findModelPrice(model);
    return price === undefined ? null : costUsd(price, usage.inputTokens, usage.outputTokens) * factor;
  };
  return async (customIds) => {
    const answers = await options.store.answersFor(options.jobId, customIds);
    const records = new Map<string, AnswerRecord>();
    for (const [customId, answer] of answers) records.set(customId, toRecord(answer, priceOf));
    return records;
  };
}

function toRecord(
  answer: ItemAnswer,
  priceOf: (usage: TokenUsage | null, model: string | null) => number | null | undefined,
): AnswerRecord {
  const cost = priceOf(answer.usage, answer.model);
  const reaskCost = priceOf(answer.reaskUsage, answer.model);
  return {
    state: answer.state,
    ...(answer.check === null ? {} : { check: answer.check as AnswerCheckLike }),
    ...(answer.error === null ? {} : { error: { code: answer.error.code, message: answer.error.message } }),
    attempts: answer.attempts,
    reasks: answer.reasks,
    ...(answer.targetReached === true ? { targetReached: true as const } : {}),
    ...(answer.model === null ? {} : { model: answer.model }),
    ...(answer.usage === null ? {} : { usage: answer.usage }),
    ...(cost === undefined ? {} : { costUsd: cost }),
    ...(answer.reaskUsage === null ? {} : { reaskUsage: answer.reaskUsage }),
    ...(reaskCost === undefined ? {} : { reaskCostUsd: reaskCost }),
  };
}
