import { isRecord } from '../deterministic-answer.ts';

/**
 * The chat/completions body whose deterministic answer an Anthropic request gets, so a test can recompute it with
 * `answerText('chat/completions', convertAnthropicParamsToChatBody(params))`:
 *   `{model: params.model, messages: [{role: 'system', content: params.system}, ...params.messages]}`
 * with the system message only when `system` is present and not null. `system` and the messages are copied as they
 * are (a string or an array of `{type: "text", text}` blocks both read as text, as OpenAI content parts do). All other
 * params (max_tokens, temperature, ...) are left out, as they are from the chat answer key.
 */
export function convertAnthropicParamsToChatBody(params: unknown): Record<string, unknown> {
  if (!isRecord(params)) return {};
  const messages = params['messages'];
  const system = params['system'];
  const withSystem =
    system === undefined || system === null || !Array.isArray(messages)
      ? messages
      : [{ role: 'system', content: system }, ...(messages as unknown[])];
  return { model: params['model'], messages: withSystem };
}
