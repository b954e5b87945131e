import { buildGenerationAnswer, findGenerationProblem } from '../build-generation-answer.ts';
import type { AnthropicBatchRequest } from './anthropic-batch-payload.ts';
import type { LineResult } from './batch-store.ts';
import type { BatchStructuredAnswers } from './batch-structured-answers.ts';
import { convertAnthropicParamsToChatBody } from './convert-anthropic-params.ts';
import { JsonlWriter } from './jsonl-writer.ts';
import { readForcedTool } from './read-forced-tool.ts';

const API_ERROR = { type: 'error', error: { type: 'api_error', message: 'Internal server error (simulated).' } };

interface ChatPayload {
  choices: [{ message: { content: string | null; refusal: string | null }; finish_reason: string }];
  usage: { prompt_tokens: number; completion_tokens: number };
}

/** Why a request would come back `errored` with `invalid_request_error`, or undefined when it is fine. */
export function findAnthropicRequestProblem(params: Record<string, unknown>): string | undefined {
  if (typeof params['model'] !== 'string') return 'model: Field required';
  const problem = findGenerationProblem('chat/completions', convertAnthropicParamsToChatBody(params));
  return problem === undefined ? undefined : `messages: ${problem.message}`;
}

/**
 * The results file of an ended batch, one line per request in request order:
 *   `{custom_id, result: {type: "succeeded", message}}` with the chat endpoint's deterministic text for the same
 *   conversation (see convert-anthropic-params.ts) and its usage as input_tokens/output_tokens. A request asking for
 *   JSON (`output_config.format` or `output_format` of type `json_schema`, or the marker in the system or a user
 *   message) gets a structured answer as the chat endpoint would; a truncated one ends `stop_reason: "max_tokens"`;
 *   a forced tool (`tool_choice: {type: "tool", name}`) gets JSON fitting its `input_schema` as a `tool_use` block
 *   (`stop_reason: "tool_use"`), unless the answer drawn is cut, refused or not JSON;
 *   a refusal `stop_reason: "refusal"` with no content;
 *   `{type: "errored", error: {type: "error", error: {type: "api_error" | "invalid_request_error", message}}}`;
 *   `{type: "canceled"}`; `{type: "expired"}`.
 */
export function buildAnthropicBatchResults(
  requests: readonly AnthropicBatchRequest[],
  resolveLine: (index: number) => LineResult,
  nextSequence: () => number,
  structured?: BatchStructuredAnswers,
): Buffer {
  const writer = new JsonlWriter();
  for (const [index, request] of requests.entries()) {
    const result = buildResult(request, resolveLine(index), nextSequence, structured);
    writer.push({ custom_id: request.custom_id, result });
  }
  return writer.finish() ?? Buffer.alloc(0);
}

function buildResult(
  request: AnthropicBatchRequest,
  result: LineResult,
  nextSequence: () => number,
  structured: BatchStructuredAnswers | undefined,
): unknown {
  switch (result) {
    case 'succeeded':
    case 'invalid': {
      const problem = findAnthropicRequestProblem(request.params);
      if (problem !== undefined) {
        return {
          type: 'errored',
          error: { type: 'error', error: { type: 'invalid_request_error', message: problem } },
        };
      }
      const sequence = nextSequence();
      // Every param stays in the body the answer is drawn from (a re-ask with a larger max_tokens is a new request);
      // the answer key, and so the plain text answer, still reads only model and messages.
      const { system: _system, ...params } = request.params;
      const chatBody: Record<string, unknown> = { ...params, ...convertAnthropicParamsToChatBody(request.params) };
      // A forced tool asks for JSON fitting its input_schema, as output_config.format does.
      const forced = readForcedTool(request.params);
      if (forced !== undefined) chatBody['output_config'] = { format: { type: 'json_schema', schema: forced.schema } };
      const answer = buildGenerationAnswer('chat/completions', chatBody, sequence, structured?.options);
      if (!answer.ok) {
        return {
          type: 'errored',
          error: { type: 'error', error: { type: 'invalid_request_error', message: answer.message } },
        };
      }
      structured?.record(answer.structured);
      const payload = answer.payload as unknown as ChatPayload;
      const choice = payload.choices[0];
      const id = String(answer.payload['id']).replace(/^chatcmpl-/, '');
      const toolUse = forced === undefined ? undefined : readToolInput(choice);
      return {
        type: 'succeeded',
        message: {
          id: `msg_${id}`,
          type: 'message',
          role: 'assistant',
          model: request.params['model'],
          content:
            toolUse !== undefined && forced !== undefined
              ? [{ type: 'tool_use', id: `toolu_${id}`, name: forced.name, input: toolUse }]
              : choice.message.content === null
                ? []
                : [{ type: 'text', text: choice.message.content }],
          stop_reason: toolUse !== undefined ? 'tool_use' : mapStopReason(choice),
          stop_sequence: null,
          usage: { input_tokens: payload.usage.prompt_tokens, output_tokens: payload.usage.completion_tokens },
        },
      };
    }
    case 'failed':
      return { type: 'errored', error: API_ERROR };
    case 'expired':
      return { type: 'expired' };
    case 'cancelled':
    case 'pending':
      return { type: 'canceled' };
  }
}

/**
 * A forced tool's input: the answer's JSON object, when it is a complete one. A cut, a refusal or prose (the invalid
 * JSON fault) stays a text answer, which is how such an answer reaches a reader anyway.
 */
function readToolInput(choice: ChatPayload['choices'][0]): Record<string, unknown> | undefined {
  if (choice.message.content === null || choice.message.refusal !== null || choice.finish_reason === 'length') {
    return undefined;
  }
  try {
    const value: unknown = JSON.parse(choice.message.content);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function mapStopReason(choice: ChatPayload['choices'][0]): string {
  if (choice.message.refusal !== null) return 'refusal';
  return choice.finish_reason === 'length' ? 'max_tokens' : 'end_turn';
}
