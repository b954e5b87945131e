/** One entry of `requests` in `POST /v1/messages/batches`, after the checks Anthropic makes at create. */
export interface AnthropicBatchRequest {
  custom_id: string;
  params: Record<string, unknown>;
}

/** What an Anthropic batch keeps besides the shared lifecycle (see batch-store.ts). */
export interface AnthropicBatchPayload {
  /** Dropped once the results are built. */
  requests: AnthropicBatchRequest[] | undefined;
  /** The results JSONL, once the batch has ended. */
  results: Buffer | undefined;
}
