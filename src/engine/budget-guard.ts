import type { ModelPrice } from '../plan/price-table.ts';
import type { ItemStore } from '../store/store.ts';
import { answeredCost } from './estimate-request-cost.ts';
import { REACHED, RESERVED, type SpendAdmission, type SpendGuard } from './spend-guard.ts';

/**
 * `limits.budget_usd` at run time: before a request goes out its estimated cost is reserved;
 * once spent plus reserved would pass the budget, nothing new is sent. An answer's real cost
 * (from `usage`) replaces its estimate; a failed attempt costs nothing.
 */
export class BudgetGuard implements SpendGuard {
  readonly limitUsd: number;
  private spent: number;
  private reserved = 0;
  private reached = false;

  constructor(options: { limitUsd: number; spentUsd: number }) {
    this.limitUsd = options.limitUsd;
    this.spent = options.spentUsd;
  }

  get spentUsd(): number {
    return this.spent;
  }

  /** Whether a request estimated at `costUsd` may go out now; false from the first refusal on. */
  tryReserve(costUsd: number): boolean {
    if (this.reached) return false;
    if (this.spent + this.reserved + costUsd > this.limitUsd) {
      this.reached = true;
      return false;
    }
    this.reserved += costUsd;
    return true;
  }

  /** `tryReserve` as the dispatcher asks it: this guard never waits, everything it knows is here. */
  admit(costUsd: number): SpendAdmission {
    return this.tryReserve(costUsd) ? RESERVED : REACHED;
  }

  /** Reserves whatever the budget says (work already out, or cut to fit `remainingUsd`). */
  reserve(costUsd: number): void {
    this.reserved += costUsd;
  }

  settle(estimateUsd: number, actualUsd: number): void {
    this.reserved = Math.max(0, this.reserved - estimateUsd);
    this.spent += actualUsd;
  }

  release(estimateUsd: number): void {
    this.reserved = Math.max(0, this.reserved - estimateUsd);
  }

  get isReached(): boolean {
    return this.reached;
  }

  /** What may still be reserved: the budget less spent and reserved. */
  get remainingUsd(): number {
    return Math.max(0, this.limitUsd - this.spent - this.reserved);
  }

  /** Nothing new goes out from now on (batch mode: the next chunk could not afford even one line). */
  markReached(): void {
    this.reached = true;
  }
}

/**
 * The budget guard of a run, with what earlier runs of the job already spent (from their
 * answers' usage, times `priceFactor`: the batch discount in batch mode). None without a budget.
 */
export async function openBudget(
  store: ItemStore,
  jobId: string,
  settings: { budgetUsd?: number | undefined; prices?: Readonly<Record<string, ModelPrice>> | undefined },
  priceFactor = 1,
): Promise<BudgetGuard | undefined> {
  const limitUsd = settings.budgetUsd ?? 0;
  if (limitUsd <= 0) return undefined;
  let spentUsd = 0;
  for await (const item of store.iterateItems(jobId, 'input')) spentUsd += answeredCost(item, settings.prices ?? {});
  return new BudgetGuard({ limitUsd, spentUsd: spentUsd * priceFactor });
}
