import { resolve } from 'node:path';
import type { BatchpilotConfig } from '../../config/config-schema.ts';
import { findCapViolations, NO_APPROVALS, type Approvals, type CapViolation } from '../../plan/check-safety-caps.ts';
import type { JobPlan } from '../../plan/plan-job.ts';
import { planInput } from '../plan-input.ts';
import { loadPromptSet } from '../../prep/load-prompt-set.ts';
import { planData, type DataPlan } from '../plan-data.ts';
import { jobSourceOf, libraryPromptSource, resolveLibraryConfig } from './create-job.ts';

export interface PlanJobOptions {
  /** Path of a JSONL file of requests (a regular file: a plan reads it, and a run would read it again). Give either `input` or `data`. */
  input?: string;
  /** A data job's data file instead (as `runJob`'s `data`): prepared in a temp folder, planned, broken down per prompt. */
  data?: string;
  /** With `data`: the prompts file's path, or its content as an object. @default `config.prompts` */
  prompts?: string | Readonly<Record<string, unknown>>;
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
  /** With `data`: what prepare counted and its first rejects, and the figures per prompt (they add up to `plan`'s). */
  data?: Omit<DataPlan, 'plan'>;
}

/**
 * The dry run of `batchpilot plan`: validates the config and every line, estimates tokens, cost and chunks, and
 * lists the caps a run would need approving. Sends nothing (unlike the CLI, it does not ask the provider about the
 * models). With `data` and `prompts`, plans a data job as `plan DATA --prompts` does. Throws `CONFIG_INVALID`,
 * `INPUT_UNREADABLE`, `INPUT_EMPTY`, `USAGE` (neither or both of `input` and `data`).
 */
export async function planJob(options: PlanJobOptions): Promise<JobPlanResult> {
  const { config } = resolveLibraryConfig(options);
  const source = await jobSourceOf(options);
  let data: Omit<DataPlan, 'plan'> | undefined;
  let plan: JobPlan;
  if (source.kind === 'data') {
    const prompts = await loadPromptSet(libraryPromptSource(options.prompts, config.prompts));
    const { plan: planned, ...rest } = await planData(config, {
      dataPath: source.dataPath,
      prompts,
      data: { format: config.data?.format, key: config.data?.key },
    });
    plan = planned;
    data = rest;
  } else {
    plan = await planInput(config, resolve(options.input as string));
  }
  const caps = findCapViolations(
    config,
    { items: plan.items, estimatedCostUsd: plan.cost?.realtime_usd ?? null },
    { ...NO_APPROVALS, ...options.approvals },
  );
  return { plan, caps, ...(data === undefined ? {} : { data }) };
}
