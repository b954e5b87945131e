/**
 * The text of a model answer and how it ended, read from the provider's response body: OpenAI chat/completions
 * (`choices[0].message.content`, `.refusal`, `finish_reason`; also legacy `choices[0].text`), the Responses API
 * (`output[].content[]` of type `output_text` / `refusal`, `status: incomplete` with `incomplete_details.reason`),
 * and Anthropic messages (`content[]` text blocks, `stop_reason`). An answer with no text but a tool call (JSON asked
 * for through a forced tool) is read from the call's arguments (`tool_calls[0].function.arguments`, a Responses
 * `function_call`, an Anthropic `tool_use` block's `input`).
 *
 * Our Anthropic batch adapter hands results on as chat completions with `stop_reason: refusal` mapped to
 * `finish_reason: content_filter` (`providers/anthropic/from-anthropic-result.ts`), so `content_filter` reads as a
 * refusal too. A refusal wins over a cut: a refused answer is not made valid by more tokens.
 */
export interface AnswerMessage {
  text: string;
  ending: 'complete' | 'truncated' | 'refused';
  /** The provider's words for a refusal or a cut (refusal text, finish/stop reason), for the issue shown. */
  reason: string;
  /** False when the body is not JSON or not an answer shape this reader knows. */
  readable: boolean;
}

const TRUNCATED_REASONS = new Set(['length', 'max_tokens', 'max_output_tokens', 'model_context_window_exceeded']);
const REFUSED_REASONS = new Set(['content_filter', 'refusal']);

const UTF8 = new TextDecoder();

/**
 * `responseBody` is JSON text, or its UTF-8 bytes as the store keeps answers over 1 MiB (decision 0008). `choice`
 * picks one of the `n` choices of a chat completion (a prompt's samples asked with `n`); 0 otherwise. `parsedBody`
 * is the body parsed already (by the provider, which had to), read instead of parsing `responseBody` again.
 */
export function readAnswerMessage(responseBody: string | Uint8Array, choice = 0, parsedBody?: unknown): AnswerMessage {
  let body: unknown = parsedBody;
  if (body === undefined) {
    try {
      body = JSON.parse(typeof responseBody === 'string' ? responseBody : UTF8.decode(responseBody));
    } catch {
      return { text: '', ending: 'complete', reason: 'the response body is not JSON', readable: false };
    }
  }
  if (!isRecord(body)) return unreadable();
  if (Array.isArray(body['choices'])) {
    const choices = body['choices'] as unknown[];
    return readChatCompletion(choices.find((entry) => isRecord(entry) && entry['index'] === choice) ?? choices[choice]);
  }
  if (Array.isArray(body['output'])) return readResponsesOutput(body);
  if (Array.isArray(body['content'])) return readAnthropicMessage(body);
  return unreadable();
}

function readChatCompletion(choice: unknown): AnswerMessage {
  if (!isRecord(choice)) return unreadable();
  const message = isRecord(choice['message']) ? choice['message'] : {};
  const content = typeof choice['text'] === 'string' ? choice['text'] : readContent(message['content']);
  const text = content.trim() !== '' ? content : readChatToolCall(message['tool_calls']);
  const finishReason = typeof choice['finish_reason'] === 'string' ? choice['finish_reason'] : '';
  const refusal = message['refusal'];
  if (typeof refusal === 'string' && refusal.trim() !== '') return ended(text, 'refused', refusal);
  return ended(text, endingOf(finishReason), finishReason);
}

function readResponsesOutput(body: Record<string, unknown>): AnswerMessage {
  const texts: string[] = [];
  let refusal = '';
  let toolArguments = '';
  for (const item of body['output'] as unknown[]) {
    if (isRecord(item) && item['type'] === 'function_call' && typeof item['arguments'] === 'string') {
      toolArguments ||= item['arguments'];
    }
    // Reasoning items are not the answer.
    if (!isRecord(item) || (item['type'] ?? 'message') !== 'message' || !Array.isArray(item['content'])) continue;
    for (const part of item['content'] as unknown[]) {
      if (!isRecord(part)) continue;
      if (part['type'] === 'refusal' && typeof part['refusal'] === 'string') refusal ||= part['refusal'] || 'refusal';
      else if ((part['type'] === 'output_text' || part['type'] === 'text') && typeof part['text'] === 'string')
        texts.push(part['text']);
    }
  }
  const joined = texts.join('');
  const text = joined.trim() !== '' ? joined : toolArguments;
  if (refusal !== '') return ended(text, 'refused', refusal);
  const details = isRecord(body['incomplete_details']) ? body['incomplete_details'] : {};
  const reason = body['status'] === 'incomplete' && typeof details['reason'] === 'string' ? details['reason'] : '';
  return ended(text, endingOf(reason), reason);
}

function readAnthropicMessage(body: Record<string, unknown>): AnswerMessage {
  const stopReason = typeof body['stop_reason'] === 'string' ? body['stop_reason'] : '';
  const content = readContent(body['content']);
  const toolUse = (body['content'] as unknown[]).find((block) => isRecord(block) && block['type'] === 'tool_use');
  const text = content.trim() === '' && isRecord(toolUse) ? JSON.stringify(toolUse['input'] ?? null) : content;
  return ended(text, endingOf(stopReason), stopReason);
}

/** The arguments of the first function call: a forced tool is one way to ask for JSON (its input is the answer). */
function readChatToolCall(toolCalls: unknown): string {
  const first: unknown = Array.isArray(toolCalls) ? toolCalls[0] : undefined;
  const call = isRecord(first) && isRecord(first['function']) ? first['function'] : {};
  return typeof call['arguments'] === 'string' ? call['arguments'] : '';
}

/** A string, or an array of parts of which the text ones count (`{type: 'text', text}`). */
function readContent(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => (isRecord(part) && part['type'] === 'text' && typeof part['text'] === 'string' ? part['text'] : ''))
    .join('');
}

function endingOf(reason: string): AnswerMessage['ending'] {
  if (REFUSED_REASONS.has(reason)) return 'refused';
  if (TRUNCATED_REASONS.has(reason)) return 'truncated';
  return 'complete';
}

function ended(text: string, ending: AnswerMessage['ending'], reason: string): AnswerMessage {
  return { text, ending, reason, readable: true };
}

function unreadable(): AnswerMessage {
  return { text: '', ending: 'complete', reason: 'the response body is not a model answer', readable: false };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
