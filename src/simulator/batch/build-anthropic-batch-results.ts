import { buildGenerationAnswer, findGenerationProblem } from '../build-generation-answer.ts';
import type { AnthropicBatchRequest } from './anthropic-batch-payload.ts';
import type { LineResult } from './batch-store.ts';
import { convertAnthropicParamsToChatBody } from './convert-anthropic-params.ts';
import { JsonlWriter } from './jsonl-writer.ts';

const API_ERROR = { type: 'error', error: { type: 'api_error', message: 'Internal server error (simulated).' } };

interface ChatPayload {
  choices: [{ message: { content: string } }];
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
 *   conversation (see convert-anthropic-params.ts) and its usage as input_tokens/output_tokens;
 *   `{type: "errored", error: {type: "error", error: {type: "api_error" | "invalid_request_error", message}}}`;
 *   `{type: "canceled"}`; `{type: "expired"}`.
 */
export function buildAnthropicBatchResults(
  requests: readonly AnthropicBatchRequest[],
  resolveLine: (index: number) => LineResult,
  nextSequence: () => number,
): Buffer {
  const writer = new JsonlWriter();
  for (const [index, request] of requests.entries()) {
    writer.push({ custom_id: request.custom_id, result: buildResult(request, resolveLine(index), nextSequence) });
  }
  return writer.finish() ?? Buffer.alloc(0);
}

function buildResult(request: AnthropicBatchRequest, result: LineResult, nextSequence: () => number): unknown {
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
      const answer = buildGenerationAnswer(
        'chat/completions',
        convertAnthropicParamsToChatBody(request.params),
        sequence,
      );
      if (!answer.ok) {
        return {
          type: 'errored',
          error: { type: 'error', error: { type: 'invalid_request_error', message: answer.message } },
        };
      }
      const payload = answer.payload as unknown as ChatPayload;
      const id = String(answer.payload['id']).replace(/^chatcmpl-/, '');
      return {
        type: 'succeeded',
        message: {
          id: `msg_${id}`,
          type: 'message',
          role: 'assistant',
          model: request.params['model'],
          content: [{ type: 'text', text: payload.choices[0].message.content }],
          stop_reason: 'end_turn',
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
