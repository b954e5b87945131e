import type { ResolvedConfig } from '../config/config-schema.ts';
import { createBatchProvider } from '../providers/create-provider.ts';
import type { BatchProvider } from '../providers/provider.ts';
import { knownSecrets } from '../util/redact.ts';
import { redactBatchProvider } from './redact-provider.ts';

/**
 * The batch provider a job's config names, at `baseUrl`, wrapped by `redact-provider.ts` as `openRealtimeProvider`
 * wraps a realtime one: this job's key and every other one this process was given are masked in all it returns or
 * throws.
 */
export async function openBatchProvider(config: ResolvedConfig, baseUrl: string): Promise<BatchProvider> {
  // Frozen: redaction works out what to mask for this list once (util/redact.ts), not per answer.
  const secrets = Object.freeze([...(config.apiKey === null ? [] : [config.apiKey]), ...knownSecrets()]);
  return redactBatchProvider(
    await createBatchProvider({
      provider: config.provider,
      baseUrl,
      apiKey: config.apiKey,
      dialect: config.batch.dialect,
      completionWindow: config.batch.completion_window,
      timeoutMs: config.timeout_ms,
      proxy: config.proxy,
      maxResponseBytes: config.max_response_bytes,
    }),
    secrets,
  );
}
