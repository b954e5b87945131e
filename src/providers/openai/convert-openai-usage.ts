import type { TokenUsage } from '../../core/item.ts';

/** Chat/completions report prompt/completion tokens; the Responses API input/output tokens. */
export function convertOpenAIUsage(body: unknown): TokenUsage | null {
  if (typeof body !== 'object' || body === null) return null;
  const usage = (body as { usage?: unknown }).usage;
  if (typeof usage !== 'object' || usage === null) return null;
  const fields = usage as Record<string, unknown>;
  const input = fields['prompt_tokens'] ?? fields['input_tokens'];
  const output = fields['completion_tokens'] ?? fields['output_tokens'] ?? 0;
  if (typeof input !== 'number' || typeof output !== 'number') return null;
  return { inputTokens: input, outputTokens: output };
}
