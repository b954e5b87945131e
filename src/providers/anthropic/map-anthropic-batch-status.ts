import type { ChunkEnd, RemoteCounts } from '../../core/chunk.ts';
import type { RemoteBatch } from '../provider.ts';

/** The fields of a Message Batch this adapter reads (the SDK's `MessageBatch` has them all). */
export interface AnthropicBatchFields {
  id: string;
  processing_status: string;
  request_counts: Partial<Record<'processing' | 'succeeded' | 'errored' | 'canceled' | 'expired', number>>;
  created_at: string;
  cancel_initiated_at: string | null;
  results_url: string | null;
}

/**
 * A Message Batch in our terms. `processing_status` is `in_progress`, `canceling` or `ended`; only `ended` ends
 * the chunk, and any other word (unknown ones included) leaves it open (STYLE guideline 3). How it ended:
 * - `cancelled` when a cancel was ever initiated, whatever the lines did;
 * - `expired` when any line expired (the 24 h window ran out; OpenAI calls such a batch expired too);
 * - `completed` otherwise, errored lines included: they are per-line failures, not a failed batch.
 * Anthropic refuses a bad batch at create, so a batch never ends `failed` and `errors` is always empty.
 */
export function mapAnthropicBatch(batch: AnthropicBatchFields): RemoteBatch {
  const counts = batch.request_counts;
  const resultRefs: Record<string, string> = {};
  if (typeof batch.results_url === 'string' && batch.results_url !== '') resultRefs['results_url'] = batch.results_url;
  return {
    id: batch.id,
    rawStatus: batch.processing_status,
    end: mapAnthropicBatchEnd(batch),
    counts: mapAnthropicCounts(counts),
    errors: [],
    resultRefs,
    createdAt: Date.parse(batch.created_at),
  };
}

export function mapAnthropicBatchEnd(batch: AnthropicBatchFields): ChunkEnd | null {
  if (batch.processing_status !== 'ended') return null;
  if (batch.cancel_initiated_at !== null && batch.cancel_initiated_at !== undefined) return 'cancelled';
  if ((batch.request_counts.expired ?? 0) > 0) return 'expired';
  return 'completed';
}

/** `total` is every request of the batch (the five tallies always add up to it), `failed` the ones without an answer. */
export function mapAnthropicCounts(counts: AnthropicBatchFields['request_counts']): RemoteCounts {
  const processing = counts.processing ?? 0;
  const succeeded = counts.succeeded ?? 0;
  const failed = (counts.errored ?? 0) + (counts.expired ?? 0) + (counts.canceled ?? 0);
  return { total: processing + succeeded + failed, completed: succeeded, failed };
}
