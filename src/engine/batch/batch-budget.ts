import { isOpenChunk } from '../../core/chunk.ts';
import type { PreparedRequest } from '../../core/item.ts';
import { createTokenCounter } from '../../plan/estimate-tokens.ts';
import type { ModelPrice } from '../../plan/price-table.ts';
import type { Logger } from '../../util/logger.ts';
import { openBudget, type BudgetGuard } from '../budget-guard.ts';
import { answerCost, createRequestCoster } from '../estimate-request-cost.ts';
import { readItemRequests, type ChunkSource } from './plan-chunk.ts';
import { LOG_EVENT } from '../../util/log-event.ts';

/**
 * `limits.budget_usd` in batch mode, at batch prices: a chunk's estimated cost is reserved
 * when it is cut (so a chunk holds only what the budget left can pay for) and released
 * when it closes, with the real cost of its answers (their `usage`) counted as spent.
 * Open chunks of an earlier run are re-estimated from their lines when the budget opens.
 */
export class BatchBudget {
  readonly guard: BudgetGuard;
  /** The cost of one answer body at batch prices. */
  readonly answerCost: (body: string) => number;
  /** A line's estimated cost at batch prices. */
  readonly costRequest: (request: PreparedRequest) => number;
  /** The estimate reserved for each open chunk. */
  private readonly reserved = new Map<number, number>();

  constructor(options: Pick<BatchBudget, 'guard' | 'answerCost' | 'costRequest'>) {
    this.guard = options.guard;
    this.answerCost = options.answerCost;
    this.costRequest = options.costRequest;
  }

  get isReached(): boolean {
    return this.guard.isReached;
  }

  /** What a new chunk may cost at most. */
  get remainingUsd(): number {
    return this.guard.remainingUsd;
  }

  /** A chunk was cut (or found open): its estimate is reserved until it closes, whatever the budget says. */
  reserve(chunkNo: number, estimateUsd: number): void {
    this.guard.reserve(estimateUsd);
    this.reserved.set(chunkNo, estimateUsd);
  }

  /** A chunk closed: its estimate is no longer reserved, and its answers' real cost is spent. Once per chunk. */
  release(chunkNo: number, spentUsd: number): void {
    const estimate = this.reserved.get(chunkNo);
    if (estimate === undefined && spentUsd === 0) return;
    this.guard.settle(estimate ?? 0, spentUsd);
    this.reserved.delete(chunkNo);
  }

  /** No new chunk from now on (the next could not afford even one line, or the last one filled the budget). */
  markReached(logger: Logger): void {
    if (this.guard.isReached) return;
    this.guard.markReached();
    logger.warn(
      { holds: 'chunks', limitUsd: this.guard.limitUsd, spentUsd: this.guard.spentUsd },
      LOG_EVENT.budgetReach,
    );
  }
}

/** The run's batch budget, with the open chunks of earlier runs reserved; none without `limits.budget_usd`. */
export async function openBatchBudget(
  source: Pick<ChunkSource, 'store' | 'jobId' | 'reader' | 'parser' | 'provider'>,
  settings: { budgetUsd?: number | undefined; prices?: Readonly<Record<string, ModelPrice>> | undefined },
  priceFactor: number,
): Promise<BatchBudget | undefined> {
  const { store, jobId } = source;
  const prices = settings.prices ?? {};
  const guard = await openBudget(store, jobId, settings, priceFactor);
  if (guard === undefined) return undefined;
  const costOf = createRequestCoster(await createTokenCounter(), prices);
  const budget = new BatchBudget({
    guard,
    costRequest: (request) => costOf(request).costUsd * priceFactor,
    answerCost: (body) => answerCost(body, prices) * priceFactor,
  });
  for (const chunk of await store.listChunks(jobId)) {
    if (!isOpenChunk(chunk)) continue;
    let cost = 0;
    for await (const { request } of readItemRequests(source, store.chunkItems(jobId, chunk.chunkNo))) {
      cost += budget.costRequest(request);
    }
    // Already out: reserved whatever the budget says.
    budget.reserve(chunk.chunkNo, cost);
  }
  return budget;
}
