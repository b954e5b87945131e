import type { BatchStore, SimulatedBatch } from './batch-store.ts';
import type { OpenAIBatchPayload } from './openai-batch-payload.ts';

const COMPLETION_WINDOW_S = 24 * 60 * 60;

/** The status OpenAI shows: the phase while open, the ending once ended. */
export function describeOpenAIBatchStatus(batch: SimulatedBatch<OpenAIBatchPayload>): string {
  return batch.phase === 'ended' ? (batch.ending ?? 'failed') : batch.phase;
}

/**
 * The batch object as OpenAI returns it. `request_counts` are all 0 while validating and after a validation failure
 * (the file was never accepted); `failed` includes expired lines once the batch has ended; cancelled lines count in
 * neither, so `completed + failed` may be less than `total` for a cancelled batch.
 */
export function describeOpenAIBatch(
  batch: SimulatedBatch<OpenAIBatchPayload>,
  store: BatchStore<OpenAIBatchPayload>,
  nowMs: number,
): Record<string, unknown> {
  const tally = store.tally(batch, nowMs);
  const accepted = batch.phase !== 'validating' && batch.ending !== 'failed';
  const createdAt = toUnixSeconds(batch.createdAtMs);
  const endedAt = toUnixSeconds(batch.endedAtMs);
  const { payload } = batch;
  return {
    id: batch.id,
    object: 'batch',
    endpoint: payload.endpoint,
    errors: batch.ending === 'failed' ? { object: 'list', data: batch.failure ?? [] } : null,
    input_file_id: payload.inputFileId,
    completion_window: payload.completionWindow,
    status: describeOpenAIBatchStatus(batch),
    output_file_id: payload.outputFileId,
    error_file_id: payload.errorFileId,
    created_at: createdAt,
    in_progress_at: toUnixSeconds(batch.inProgressAtMs),
    expires_at: (createdAt ?? 0) + COMPLETION_WINDOW_S,
    finalizing_at: toUnixSeconds(batch.finalizingAtMs),
    completed_at: batch.ending === 'completed' ? endedAt : null,
    failed_at: batch.ending === 'failed' ? endedAt : null,
    expired_at: batch.ending === 'expired' ? endedAt : null,
    cancelling_at: toUnixSeconds(batch.cancellingAtMs),
    cancelled_at: batch.ending === 'cancelled' ? endedAt : null,
    request_counts: {
      total: accepted ? batch.customIds.length : 0,
      completed: accepted ? tally.succeeded : 0,
      failed: accepted ? tally.errored + tally.expired : 0,
    },
    metadata: payload.metadata,
  };
}

function toUnixSeconds(ms: number | undefined): number | null {
  return ms === undefined ? null : Math.floor(ms / 1000);
}
