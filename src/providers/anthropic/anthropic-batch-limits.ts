import type { BatchLimits } from '../provider.ts';

/** Message Batches limits per batch, as data (no SDK): `plan` counts chunks with them too. */
export const ANTHROPIC_BATCH_LIMITS: BatchLimits = {
  maxRequests: 100_000,
  maxBytes: 256 * 1000 * 1000,
  oneModelPerBatch: false,
};
