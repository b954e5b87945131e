import { isRecord } from '../../util/is-record.ts';
import type { TokenUsage } from '../../core/item.ts';
import type { BatchLineResult } from '../provider.ts';

/**
 * One line of a Message Batch's results, in our terms.
 *
 * A succeeded line's `body` is an OpenAI `chat.completion`, because the input was OpenAI chat/completions and
 * output.jsonl is OpenAI batch output (SPEC section 6): whoever reads `choices[0].message.content` need not care
 * which provider ran. The Message as Anthropic sent it rides along whole under `anthropic_message` (thinking,
 * tool_use blocks, cache usage, stop_sequence), so nothing is lost. `created` is a parameter (the batch's creation
 * time) because a Message carries no timestamp, and it keeps the body the same when results are read again.
 * `tool_use` blocks also become `message.tool_calls`, as OpenAI gives a function call.
 *
 * An errored line keeps Anthropic's error type as `error.code` and gets the HTTP status that type stands for, so
 * the retry policy resubmits api, overloaded, rate-limit and timeout errors and fails invalid requests at once.
 */

/** The status each Anthropic error type is answered with on the synchronous API. */
export const ERROR_TYPE_STATUS: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  conflict_error: 409,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/** Unknown error types are taken as server-side (retried, within `retry.max_attempts`). */
const UNKNOWN_ERROR_STATUS = 500;

const FINISH_REASONS: Readonly<Record<string, string>> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

/** OpenAI's `finish_reason` for an Anthropic `stop_reason`; unknown or missing ones read as `stop`. */
export function mapStopReason(stopReason: unknown): string {
  return typeof stopReason === 'string' ? (FINISH_REASONS[stopReason] ?? 'stop') : 'stop';
}

/** `line` is one parsed JSON line of the results file; `createdSeconds` goes into the body's `created`. */
export function convertAnthropicResult(line: unknown, createdSeconds: number): BatchLineResult {
  const record = isRecord(line) ? line : {};
  if (typeof record['custom_id'] !== 'string') {
    return { customId: null, kind: 'unreadable', reason: 'a line of the batch results has no custom_id' };
  }
  const customId = record['custom_id'];
  const result = isRecord(record['result']) ? record['result'] : {};
  switch (result['type']) {
    case 'succeeded': {
      const message = isRecord(result['message']) ? result['message'] : {};
      const completion = toChatCompletion(message, createdSeconds);
      return {
        customId,
        kind: 'succeeded',
        statusCode: 200,
        requestId: null,
        body: JSON.stringify(completion.body),
        usage: completion.usage,
      };
    }
    case 'canceled':
      return { customId, kind: 'cancelled' };
    case 'expired':
      return { customId, kind: 'expired' };
    case 'errored': {
      // `error` is an error response: `{type: "error", error: {type, message}, request_id}`.
      const response = isRecord(result['error']) ? result['error'] : {};
      const inner = isRecord(response['error']) ? response['error'] : response;
      const type = typeof inner['type'] === 'string' && inner['type'] !== 'error' ? inner['type'] : 'api_error';
      const message = typeof inner['message'] === 'string' ? inner['message'] : type;
      const status = ERROR_TYPE_STATUS[type] ?? UNKNOWN_ERROR_STATUS;
      return { customId, kind: 'errored', error: { code: type, message, status }, failureKind: 'http' };
    }
    default: {
      // A result type this code does not know: fail the line as unreadable (retried), never count it done.
      const shown = JSON.stringify(result['type'] ?? null);
      return {
        customId,
        kind: 'errored',
        error: { code: 'malformed', message: `unknown result type ${shown} in the batch results` },
        failureKind: 'malformed',
      };
    }
  }
}

function toChatCompletion(
  message: Record<string, unknown>,
  createdSeconds: number,
): { body: Record<string, unknown>; usage: TokenUsage | null } {
  const content = Array.isArray(message['content']) ? (message['content'] as unknown[]) : [];
  const text = content
    .map((block) =>
      isRecord(block) && block['type'] === 'text' && typeof block['text'] === 'string' ? block['text'] : '',
    )
    .join('');
  const toolCalls = content
    .filter(isRecord)
    .filter((block) => block['type'] === 'tool_use')
    .map(toToolCall);
  const usage = convertAnthropicUsage(message['usage']);
  const body: Record<string, unknown> = {
    id: typeof message['id'] === 'string' ? message['id'] : null,
    object: 'chat.completion',
    created: createdSeconds,
    model: typeof message['model'] === 'string' ? message['model'] : null,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: text, ...(toolCalls.length === 0 ? {} : { tool_calls: toolCalls }) },
        finish_reason: mapStopReason(message['stop_reason']),
      },
    ],
    usage:
      usage === null
        ? null
        : {
            prompt_tokens: usage.inputTokens,
            completion_tokens: usage.outputTokens,
            total_tokens: usage.inputTokens + usage.outputTokens,
          },
    anthropic_message: message,
  };
  return { body, usage };
}

/**
 * A `tool_use` block as an OpenAI tool call: its `input` (an object) becomes the call's `arguments` (JSON text). A
 * forced tool is one way to ask Claude for JSON; the answer is then these arguments (validate/read-answer-message.ts).
 */
function toToolCall(block: Record<string, unknown>): Record<string, unknown> {
  return {
    id: typeof block['id'] === 'string' ? block['id'] : null,
    type: 'function',
    function: {
      name: typeof block['name'] === 'string' ? block['name'] : '',
      arguments: JSON.stringify(block['input'] ?? {}),
    },
  };
}

/**
 * Anthropic's `input_tokens` leaves out tokens written to or read from the prompt cache; OpenAI's `prompt_tokens`
 * (and our `inputTokens`) count every prompt token, so the three are added up.
 */
export function convertAnthropicUsage(usage: unknown): TokenUsage | null {
  if (!isRecord(usage)) return null;
  const input = usage['input_tokens'];
  const output = usage['output_tokens'];
  if (typeof input !== 'number' || typeof output !== 'number') return null;
  const cacheWrite = usage['cache_creation_input_tokens'];
  const cacheRead = usage['cache_read_input_tokens'];
  return {
    inputTokens:
      input + (typeof cacheWrite === 'number' ? cacheWrite : 0) + (typeof cacheRead === 'number' ? cacheRead : 0),
    outputTokens: output,
  };
}
