import {
  answerKey,
  contentText,
  embeddingVector,
  formatAnswerText,
  isRecord,
  lastUserText,
  promptText,
} from './deterministic-answer.ts';
import type { GenerationEndpoint } from './generation-endpoint.ts';

export type GenerationAnswer =
  { ok: true; payload: Record<string, unknown> } | { ok: false; message: string; param: string | null; code: string };

export type GenerationProblem = Extract<GenerationAnswer, { ok: false }>;

const DEFAULT_MODEL = 'sim-model';

/** Validates the body the way OpenAI would reject it (400) and builds the OpenAI-shaped answer otherwise. */
export function buildGenerationAnswer(endpoint: GenerationEndpoint, body: unknown, sequence: number): GenerationAnswer {
  if (!isRecord(body)) return invalid('The request body must be a JSON object.', null, 'invalid_request_body');
  const problem = findMissingField(endpoint, body);
  if (problem !== undefined) return problem;
  const key = answerKey(endpoint, body);
  const model = typeof body['model'] === 'string' ? body['model'] : DEFAULT_MODEL;
  const created = Math.floor(Date.now() / 1000);
  const id = `${key}-${String(sequence)}`;
  switch (endpoint) {
    case 'chat/completions': {
      const content = formatAnswerText(key, lastUserText(endpoint, body));
      const messages = body['messages'] as unknown[];
      const usage = completionUsage(sumChars(messages.map((message) => messageText(message))), content.length);
      return answer({
        id: `chatcmpl-${id}`,
        object: 'chat.completion',
        created,
        model,
        choices: [
          { index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' },
        ],
        usage,
      });
    }
    case 'completions': {
      const text = formatAnswerText(key, lastUserText(endpoint, body));
      return answer({
        id: `cmpl-${id}`,
        object: 'text_completion',
        created,
        model,
        choices: [{ index: 0, text, logprobs: null, finish_reason: 'stop' }],
        usage: completionUsage(promptText(body['prompt']).length, text.length),
      });
    }
    case 'embeddings': {
      const inputs = embeddingInputs(body['input']);
      const promptTokens = inputs.reduce<number>((total, input) => total + inputTokens(input), 0);
      return answer({
        object: 'list',
        data: inputs.map((_input, index) => ({ object: 'embedding', index, embedding: embeddingVector(key, index) })),
        model,
        usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
      });
    }
    case 'responses': {
      const text = formatAnswerText(key, lastUserText(endpoint, body));
      const input = body['input'];
      const inputChars =
        (typeof body['instructions'] === 'string' ? body['instructions'].length : 0) +
        (typeof input === 'string' ? input.length : sumChars((input as unknown[]).map((item) => messageText(item))));
      const inputTokens = estimateTokens(inputChars);
      const outputTokens = estimateTokens(text.length);
      return answer({
        id: `resp_${id}`,
        object: 'response',
        created_at: created,
        status: 'completed',
        model,
        output: [
          {
            type: 'message',
            id: `msg_${id}`,
            status: 'completed',
            role: 'assistant',
            content: [{ type: 'output_text', text, annotations: [] }],
          },
        ],
        output_text: text,
        usage: { input_tokens: inputTokens, output_tokens: outputTokens, total_tokens: inputTokens + outputTokens },
      });
    }
  }
}

/** The 400 `buildGenerationAnswer` would give for this body, without building the answer; undefined when none. */
export function findGenerationProblem(endpoint: GenerationEndpoint, body: unknown): GenerationProblem | undefined {
  if (!isRecord(body)) return invalid('The request body must be a JSON object.', null, 'invalid_request_body');
  return findMissingField(endpoint, body);
}

/** About four characters per token, never 0, so usage sums are stable across runs. */
export function estimateTokens(chars: number): number {
  return Math.max(1, Math.ceil(chars / 4));
}

function findMissingField(endpoint: GenerationEndpoint, body: Record<string, unknown>): GenerationProblem | undefined {
  switch (endpoint) {
    case 'chat/completions':
      return Array.isArray(body['messages'])
        ? undefined
        : invalid("Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter');
    case 'completions':
      return typeof body['prompt'] === 'string' || Array.isArray(body['prompt'])
        ? undefined
        : invalid("Missing required parameter: 'prompt'.", 'prompt', 'missing_required_parameter');
    case 'embeddings':
      return typeof body['input'] === 'string' || (Array.isArray(body['input']) && body['input'].length > 0)
        ? undefined
        : invalid("Missing required parameter: 'input'.", 'input', 'missing_required_parameter');
    case 'responses':
      return typeof body['input'] === 'string' || Array.isArray(body['input'])
        ? undefined
        : invalid("Missing required parameter: 'input'.", 'input', 'missing_required_parameter');
  }
}

/** A string, a list of strings, one token array, or a list of token arrays, as OpenAI accepts. */
function embeddingInputs(input: unknown): unknown[] {
  if (!Array.isArray(input)) return [input];
  return input.every((entry) => typeof entry === 'number') ? [input] : input;
}

function inputTokens(input: unknown): number {
  if (typeof input === 'string') return estimateTokens(input.length);
  return Array.isArray(input) ? Math.max(1, input.length) : 1;
}

function messageText(message: unknown): string {
  return isRecord(message) ? contentText(message['content']) : '';
}

function sumChars(texts: string[]): number {
  return texts.reduce((total, text) => total + text.length, 0);
}

function completionUsage(promptChars: number, completionChars: number): Record<string, number> {
  const promptTokens = estimateTokens(promptChars);
  const completionTokens = estimateTokens(completionChars);
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}

function answer(payload: Record<string, unknown>): GenerationAnswer {
  return { ok: true, payload };
}

function invalid(message: string, param: string | null, code: string): GenerationProblem {
  return { ok: false, message, param, code };
}
