import { ANTHROPIC_BATCH_LIMITS } from './anthropic/anthropic-batch-limits.ts';
import type { CreateBatchProviderOptions } from './create-provider.ts';
import { BATCH_DIALECTS, detectBatchDialect } from './openai/batch-dialects.ts';
import type { BatchLimits } from './provider.ts';

/** A provider's per-batch limits, without loading its SDK (they are data). */
export function batchLimitsFor(
  options: Pick<CreateBatchProviderOptions, 'provider' | 'baseUrl' | 'dialect'>,
): BatchLimits {
  if (options.provider === 'anthropic') return ANTHROPIC_BATCH_LIMITS;
  return BATCH_DIALECTS[options.dialect === 'auto' ? detectBatchDialect(options.baseUrl) : options.dialect].limits;
}
