/**
 * What the realtime dispatcher asks of `limits.budget_usd`: one process's `BudgetGuard`, or a `SharedBudget` held
 * across every worker of a job (docs/decisions/0032).
 *
 * Synchronous, as the pump is: a guard that draws from elsewhere does it in the background, and says `wait` while
 * its draw is out.
 */
export interface SpendGuard {
  /** Reserves a request's estimated cost, or says to wait and ask again, or that the budget is reached for good. */
  admit(costUsd: number): SpendAdmission;
  /** A reserved request was answered: its estimate is replaced by its real cost. */
  settle(estimateUsd: number, actualUsd: number): void;
  /** A reserved request was not sent, or cost nothing (a failure): its estimate is given back. */
  release(estimateUsd: number): void;
}

/**
 * - `reserved`: send it; its estimate is reserved until `settle` or `release`.
 * - `wait`: nothing reserved; ask again after `ms`.
 * - `reached`: nothing reserved, and nothing new will be from now on: the job stops taking new work.
 */
export type SpendAdmission = { kind: 'reserved' } | { kind: 'wait'; ms: number } | { kind: 'reached' };

export const RESERVED: SpendAdmission = Object.freeze({ kind: 'reserved' });
export const REACHED: SpendAdmission = Object.freeze({ kind: 'reached' });
