import type { ResolvedConfig } from '../config/config-schema.ts';
import { HARD_CAPS } from '../config/config-schema.ts';
import { ConfigError } from '../errors/index.ts';
import { BATCH_PRICE_FACTOR } from './price-table.ts';
import type { ErrorCode } from '../errors/index.ts';

/** The explicit approvals a run carries (`--approve-concurrency`, `--approve-items`, `--approve-budget`). */
export interface Approvals {
  concurrency: boolean;
  items: boolean;
  budget: boolean;
}

export const NO_APPROVALS: Approvals = { concurrency: false, items: false, budget: false };

/** What is known of the job when the caps are checked; unknown facts are not checked. */
export interface CapFacts {
  items?: number;
  /** Expected cost of the whole job, realtime prices (batch mode takes `BATCH_PRICE_FACTOR` of it). */
  estimatedCostUsd?: number | null;
}

export interface CapViolation {
  code: ErrorCode;
  message: string;
  /** The flag that would let it through; absent for a hard cap. */
  approval?: `--approve-${keyof Approvals}`;
}

/**
 * The safety policy (SPEC section 10): hard caps no flag passes, configured caps (`limits.*`)
 * that only an explicit approval flag passes. Returns every violation, so `plan` can list
 * them all and `run` can refuse with the first.
 */
export function findCapViolations(config: ResolvedConfig, facts: CapFacts, approvals: Approvals): CapViolation[] {
  const violations: CapViolation[] = [];
  const { limits } = config;
  if (limits.concurrency > 0 && config.concurrency > limits.concurrency && !approvals.concurrency) {
    violations.push({
      code: 'CONCURRENCY_REQUIRES_APPROVAL',
      message: `concurrency ${String(config.concurrency)} is over limits.concurrency (${String(limits.concurrency)}); run again with --approve-concurrency, or lower --concurrency`,
      approval: '--approve-concurrency',
    });
  }
  if (facts.items !== undefined) {
    if (facts.items > HARD_CAPS.itemsPerJob) {
      violations.push({
        code: 'ITEMS_OVER_HARD_CAP',
        message: `the job has ${facts.items.toLocaleString('en-US')} items, over the hard cap of ${HARD_CAPS.itemsPerJob.toLocaleString('en-US')} per job, which no flag can pass; split the input or use --limit`,
      });
    } else if (limits.max_items > 0 && facts.items > limits.max_items && !approvals.items) {
      violations.push({
        code: 'ITEMS_REQUIRES_APPROVAL',
        message: `the job has ${facts.items.toLocaleString('en-US')} items, over limits.max_items (${limits.max_items.toLocaleString('en-US')}); run again with --approve-items, or use --limit`,
        approval: '--approve-items',
      });
    }
  }
  const cost = facts.estimatedCostUsd;
  if (limits.budget_usd > 0 && cost !== undefined && cost !== null && !approvals.budget) {
    const expected = config.mode === 'batch' ? cost * BATCH_PRICE_FACTOR : cost;
    if (expected > limits.budget_usd) {
      violations.push({
        code: 'BUDGET_REQUIRES_APPROVAL',
        message: `the estimated cost $${expected.toFixed(2)} (${config.mode}) is over limits.budget_usd ($${String(limits.budget_usd)}); run again with --approve-budget (the job still stops sending at the budget), or raise limits.budget_usd`,
        approval: '--approve-budget',
      });
    }
  }
  return violations;
}

export function assertWithinCaps(config: ResolvedConfig, facts: CapFacts, approvals: Approvals): void {
  const [first] = findCapViolations(config, facts, approvals);
  if (first === undefined) return;
  throw new ConfigError(first.code, first.message, {
    context: first.approval === undefined ? {} : { flag: first.approval },
  });
}
