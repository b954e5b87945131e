import { isRecord } from '../deterministic-answer.ts';
import type { AnthropicBatchRequest } from './anthropic-batch-payload.ts';

/** Anthropic's caps on one Message Batch. */
export const MAX_ANTHROPIC_BATCH_REQUESTS = 100_000;
export const MAX_ANTHROPIC_BATCH_BYTES = 256 * 1024 * 1024;

const CUSTOM_ID_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

export type ParsedAnthropicBatchBody = { ok: true; requests: AnthropicBatchRequest[] } | { ok: false; message: string };

/**
 * The checks Anthropic makes before it accepts a batch (400 otherwise): `requests` holds 1 to 100,000 entries, each
 * with a unique `custom_id` matching `^[a-zA-Z0-9_-]{1,64}$` and `params` with a positive integer `max_tokens`.
 * Everything else in `params` is checked per request while the batch runs, and a bad one comes back `errored`.
 */
export function parseAnthropicBatchBody(body: unknown): ParsedAnthropicBatchBody {
  if (!isRecord(body)) return { ok: false, message: 'The request body must be a JSON object.' };
  const requests = body['requests'];
  if (!Array.isArray(requests)) return { ok: false, message: 'requests: Field required' };
  if (requests.length === 0) return { ok: false, message: 'requests: List should have at least 1 item' };
  if (requests.length > MAX_ANTHROPIC_BATCH_REQUESTS) {
    return {
      ok: false,
      message: `requests: List should have at most ${String(MAX_ANTHROPIC_BATCH_REQUESTS)} items, got ${String(requests.length)}`,
    };
  }
  const seen = new Set<string>();
  const parsed: AnthropicBatchRequest[] = [];
  for (const [index, entry] of (requests as unknown[]).entries()) {
    const where = `requests.${String(index)}`;
    if (!isRecord(entry)) return { ok: false, message: `${where}: Input should be an object` };
    const customId = entry['custom_id'];
    if (typeof customId !== 'string' || !CUSTOM_ID_PATTERN.test(customId)) {
      return { ok: false, message: `${where}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'` };
    }
    if (seen.has(customId)) {
      return {
        ok: false,
        message: `${where}.custom_id: Duplicate custom_id '${customId}'; custom_id values must be unique within a batch`,
      };
    }
    seen.add(customId);
    const params = entry['params'];
    if (!isRecord(params)) return { ok: false, message: `${where}.params: Field required` };
    const maxTokens = params['max_tokens'];
    if (maxTokens === undefined) return { ok: false, message: `${where}.params.max_tokens: Field required` };
    if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1) {
      return { ok: false, message: `${where}.params.max_tokens: Input should be an integer of at least 1` };
    }
    parsed.push({ custom_id: customId, params });
  }
  return { ok: true, requests: parsed };
}
