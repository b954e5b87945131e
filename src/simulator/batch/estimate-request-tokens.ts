import { estimateTokens } from '../build-generation-answer.ts';
import { isRecord } from '../deterministic-answer.ts';

/**
 * Tokens one batch request is charged against `batchEnqueuedTokenLimit`: the realtime estimate (a quarter of the
 * characters, at least 1) of `JSON.stringify(body)`, plus the output budget the body asks for: `max_tokens`, else
 * `max_completion_tokens`, else `max_output_tokens`, when it is a non-negative number. A client can mirror it exactly:
 * for an OpenAI line use `JSON.parse(line).body`, for an Anthropic request its `params`.
 */
export function estimateRequestTokens(body: unknown): number {
  const inputTokens = estimateTokens(JSON.stringify(body ?? null).length);
  return inputTokens + readOutputBudget(body);
}

function readOutputBudget(body: unknown): number {
  if (!isRecord(body)) return 0;
  for (const key of ['max_tokens', 'max_completion_tokens', 'max_output_tokens']) {
    const value = body[key];
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return Math.ceil(value);
  }
  return 0;
}
