/**
 * `limits.budget_usd` at run time: before a request goes out its estimated cost is reserved;
 * once spent plus reserved would pass the budget, nothing new is sent. An answer's real cost
 * (from `usage`) replaces its estimate; a failed attempt costs nothing.
 */
export class BudgetGuard {
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
}
