import type { AnthropicBatchPayload } from './anthropic-batch-payload.ts';
import type { BatchStore, SimulatedBatch } from './batch-store.ts';

const EXPIRY_MS = 24 * 60 * 60 * 1000;

/** Anthropic shows only in_progress, canceling and ended; validating and finalizing are inside in_progress. */
export function describeAnthropicBatchStatus(batch: SimulatedBatch<AnthropicBatchPayload>): string {
  if (batch.phase === 'ended') return 'ended';
  return batch.phase === 'cancelling' ? 'canceling' : 'in_progress';
}

/**
 * The Message Batch object. As Anthropic documents, every request counts as `processing` until the whole batch has
 * ended; only then are they split into succeeded, errored, canceled and expired. `resultsUrlBase` is the scheme and
 * host the client reached the simulator at.
 */
export function describeAnthropicBatch(
  batch: SimulatedBatch<AnthropicBatchPayload>,
  store: BatchStore<AnthropicBatchPayload>,
  nowMs: number,
  resultsUrlBase: string,
): Record<string, unknown> {
  const ended = batch.phase === 'ended';
  const total = batch.customIds.length;
  const tally = ended ? store.tally(batch, nowMs) : undefined;
  return {
    id: batch.id,
    type: 'message_batch',
    processing_status: describeAnthropicBatchStatus(batch),
    request_counts: {
      processing: ended ? 0 : total,
      succeeded: tally?.succeeded ?? 0,
      errored: tally?.errored ?? 0,
      canceled: tally?.cancelled ?? 0,
      expired: tally?.expired ?? 0,
    },
    ended_at: toIso(batch.endedAtMs),
    created_at: toIso(batch.createdAtMs),
    expires_at: toIso(batch.createdAtMs + EXPIRY_MS),
    cancel_initiated_at: toIso(batch.cancellingAtMs),
    archived_at: null,
    results_url: ended ? `${resultsUrlBase}/v1/messages/batches/${batch.id}/results` : null,
  };
}

function toIso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}
