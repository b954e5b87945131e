/**
 * Which provider a batch or file speaks for. Each dialect has its own namespace: a file uploaded under `/v1/files` is
 * not visible under `/api/paas/v4/files`, as the real providers share nothing.
 */
export type BatchDialect = 'openai' | 'zhipu' | 'anthropic';

export const BATCH_DIALECTS: readonly BatchDialect[] = ['openai', 'zhipu', 'anthropic'];

/** The dialects served by the OpenAI-compatible files and batches routes. */
export type OpenAIBatchDialect = Exclude<BatchDialect, 'anthropic'>;

/**
 * The API prefix a request came in under (one of `API_PREFIXES`, matched in simulator-server.ts), to its dialect.
 * `/v4/` is Zhipu's short spelling, as for the realtime routes.
 */
export function toOpenAIBatchDialect(prefix: string): OpenAIBatchDialect {
  return prefix === '/v1/' ? 'openai' : 'zhipu';
}

/** The version segment a batch line's `url` and the batch `endpoint` carry: `/v1/chat/completions`, `/v4/...`. */
export function endpointVersionPrefix(dialect: OpenAIBatchDialect): string {
  return dialect === 'openai' ? '/v1/' : '/v4/';
}
