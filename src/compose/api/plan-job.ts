import { resolve } from 'node:path';
import type { BatchpilotConfig } from '../../config/config-schema.ts';
import { findCapViolations, NO_APPROVALS, type Approvals, type CapViolation } from '../../plan/check-safety-caps.ts';
import type { JobPlan } from '../../plan/plan-job.ts';
import { planInput } from '../plan-input.ts';
import { resolveLibraryConfig } from './create-job.ts';

export interface PlanJobOptions {
  /** Path of a JSONL file of requests (a regular file: a plan reads it, and a run would read it again). */
  input: string;
  /** The same keys as `batchpilot.yaml`, validated exactly as a file is. */
  config: BatchpilotConfig;
  /** Approvals a run would be given (`--approve-*`): a cap they pass is not listed. @default none */
  approvals?: Partial<Approvals>;
  /** Where the API key is read from. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface JobPlanResult {
  /** Items, rejects, models, tokens, cost (realtime and batch) and chunks, as `batchpilot plan --json` prints them. */
  plan: JobPlan;
  /** The safety caps a run of this input would be stopped by, each with its code (e.g. `BUDGET_REQUIRES_APPROVAL`). */
  caps: CapViolation[];
}

/**
 * The dry run of `batchpilot plan`: validates the config and every line, estimates tokens, cost and chunks, and
 * lists the caps a run would need approving. Sends nothing (unlike the CLI, it does not ask the provider about the
 * models). Throws `CONFIG_INVALID`, `INPUT_UNREADABLE`, `INPUT_EMPTY`.
 */
export async function planJob(options: PlanJobOptions): Promise<JobPlanResult> {
  const { config } = resolveLibraryConfig(options);
  const plan = await planInput(config, resolve(options.input));
  const caps = findCapViolations(
    config,
    { items: plan.items, estimatedCostUsd: plan.cost?.realtime_usd ?? null },
    { ...NO_APPROVALS, ...options.approvals },
  );
  return { plan, caps };
}
