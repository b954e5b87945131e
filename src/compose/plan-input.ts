import type { ResolvedConfig } from '../config/config-schema.ts';
import { InputError } from '../errors/index.ts';
import { describeRejectSample } from '../input/describe-reject-sample.ts';
import { planJob, type JobPlan, type PlanChunkLimits, type PlanGroupOf } from '../plan/plan-job.ts';
import { batchLimitsFor } from '../providers/batch-limits-for.ts';
import { toRunSettings } from './job-settings.ts';

export interface PlanInputOptions {
  /** A breakdown of the items by group (see `PlanOptions.groupOf`). */
  groupOf?: PlanGroupOf;
  /** What the user gave, named in `plan.input` and in `INPUT_EMPTY` when the input is a file made for them. @default inputPath */
  source?: string;
}

/**
 * The dry run of one input under a config (SPEC section 10), for `plan` and the library's `planJob`: every line
 * validated, items, rejects, tokens, cost (realtime and batch) and, in batch mode, chunks. Reads the input only;
 * nothing is sent. `INPUT_EMPTY` when no line is valid.
 */
export async function planInput(
  config: ResolvedConfig,
  inputPath: string,
  options: PlanInputOptions = {},
): Promise<JobPlan> {
  const settings = toRunSettings(config);
  const source = options.source ?? inputPath;
  const plan = await planJob({
    inputPath,
    parser: settings.parser,
    maxLineBytes: settings.maxLineBytes,
    limit: config.limit,
    chunkLimits: config.mode === 'batch' ? chunkLimitsOf(config) : null,
    prices: config.prices,
    countTokens: config.provider !== 'command',
    ...(options.groupOf === undefined ? {} : { groupOf: options.groupOf }),
  });
  if (plan.items === 0) {
    throw new InputError(
      'INPUT_EMPTY',
      `${source}: no valid line (${String(plan.rejected)} rejected)${describeRejectSample(plan.rejects_sample, plan.rejected)}`,
      { context: { file: source } },
    );
  }
  return { ...plan, input: source };
}

function chunkLimitsOf(config: ResolvedConfig): PlanChunkLimits {
  const limits = batchLimitsFor({
    provider: config.provider,
    baseUrl: config.base_url ?? 'http://127.0.0.1/v1',
    dialect: config.batch.dialect,
  });
  return {
    maxRequests: config.chunk.max_requests ?? limits.maxRequests,
    maxBytes: config.chunk.max_bytes ?? limits.maxBytes,
    oneModelPerBatch: limits.oneModelPerBatch,
  };
}
