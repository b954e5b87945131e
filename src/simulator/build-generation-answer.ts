import {
  answerKey,
  contentText,
  formatAnswerText,
  isRecord,
  lastUserText,
  promptText,
} from './deterministic-answer.ts';
import type { GenerationEndpoint } from './generation-endpoint.ts';
import { DEFAULT_EMBEDDING_DIMENSIONS, textEmbedding } from './text-embedding.ts';
import {
  type StructuredAnswer,
  type StructuredAnswerOptions,
  buildStructuredAnswer,
} from './structured/build-structured-answer.ts';
import type { StructuredKind } from './structured/draw-structured-kind.ts';
import { readStructuredRequest } from './structured/read-structured-request.ts';

export type GenerationAnswer =
  | { ok: true; payload: Record<string, unknown>; structured?: StructuredOutcome[] }
  | { ok: false; message: string; param: string | null; code: string };

/** What one choice of a request that asked for JSON got, for the stats (one per choice when `n` > 1). */
export interface StructuredOutcome {
  kind: StructuredKind;
  reask: boolean;
}

export type GenerationProblem = Extract<GenerationAnswer, { ok: false }>;

const DEFAULT_MODEL = 'sim-model';
const NO_STRUCTURED_FAULTS: StructuredAnswerOptions = {
  rates: { invalidJson: 0, schemaBreak: 0, shortText: 0, truncated: 0, refusal: 0, reaskFixRate: 1 },
  seed: 0,
};

/**
 * Validates the body the way OpenAI would reject it (400) and builds the OpenAI-shaped answer otherwise. A chat or
 * responses request that asks for JSON (structured/read-structured-request.ts) gets a structured answer drawn with
 * `structured` (no faults when left out); any other request the `sim:<key>` text. Embeddings are one vector per
 * input text (text-embedding.ts) of the request's `dimensions`, else `embeddingDimensions`.
 */
export function buildGenerationAnswer(
  endpoint: GenerationEndpoint,
  body: unknown,
  sequence: number,
  structured: StructuredAnswerOptions = NO_STRUCTURED_FAULTS,
  embeddingDimensions: number = DEFAULT_EMBEDDING_DIMENSIONS,
): GenerationAnswer {
  if (!isRecord(body)) return invalid('The request body must be a JSON object.', null, 'invalid_request_body');
  const problem = findMissingField(endpoint, body);
  if (problem !== undefined) return problem;
  const key = answerKey(endpoint, body);
  const model = typeof body['model'] === 'string' ? body['model'] : DEFAULT_MODEL;
  const created = Math.floor(Date.now() / 1000);
  const id = `${key}-${String(sequence)}`;
  switch (endpoint) {
    case 'chat/completions': {
      const asked = readStructuredRequest(endpoint, body);
      const choiceCount = readChoiceCount(body['n']);
      const built: StructuredAnswer[] = [];
      if (asked !== undefined) {
        for (let choice = 0; choice < choiceCount; choice += 1) {
          built.push(buildStructuredAnswer(asked, body, structured, choice));
        }
      }
      const plainText = asked === undefined ? formatAnswerText(key, lastUserText(endpoint, body)) : '';
      const choices = Array.from({ length: choiceCount }, (_unused, index) => {
        const structuredChoice = built[index];
        const content = structuredChoice === undefined ? plainText : structuredChoice.content;
        const message = { role: 'assistant', content, refusal: structuredChoice?.refusal ?? null };
        return { index, message, logprobs: null, finish_reason: structuredChoice?.finishReason ?? 'stop' };
      });
      const completionChars = choices.reduce(
        (total, choice) => total + (choice.message.content ?? choice.message.refusal ?? '').length,
        0,
      );
      const messages = body['messages'] as unknown[];
      const usage = completionUsage(sumChars(messages.map((message) => messageText(message))), completionChars);
      return answer({ id: `chatcmpl-${id}`, object: 'chat.completion', created, model, choices, usage }, ...built);
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
      const asked = body['dimensions'];
      const dimensions =
        typeof asked === 'number' && Number.isInteger(asked) && asked > 0 && asked <= 65_536
          ? asked
          : embeddingDimensions;
      return answer({
        object: 'list',
        data: inputs.map((input, index) => ({
          object: 'embedding',
          index,
          embedding: textEmbedding(model, input, dimensions),
        })),
        model,
        usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
      });
    }
    case 'responses': {
      const asked = readStructuredRequest(endpoint, body);
      const built = asked === undefined ? undefined : buildStructuredAnswer(asked, body, structured, 0);
      const text = built === undefined ? formatAnswerText(key, lastUserText(endpoint, body)) : (built.content ?? '');
      const input = body['input'];
      const inputChars =
        (typeof body['instructions'] === 'string' ? body['instructions'].length : 0) +
        (typeof input === 'string' ? input.length : sumChars((input as unknown[]).map((item) => messageText(item))));
      const inputTokens = estimateTokens(inputChars);
      const outputTokens = estimateTokens(text.length);
      const incomplete = built?.finishReason === 'length';
      const status = incomplete ? 'incomplete' : 'completed';
      // The Responses API puts a refusal in its own content part, and a cut answer in an `incomplete` response.
      const part =
        built?.refusal != null
          ? { type: 'refusal', refusal: built.refusal }
          : { type: 'output_text', text, annotations: [] };
      return answer(
        {
          id: `resp_${id}`,
          object: 'response',
          created_at: created,
          status,
          ...(incomplete ? { incomplete_details: { reason: 'max_output_tokens' } } : {}),
          model,
          output: [{ type: 'message', id: `msg_${id}`, status, role: 'assistant', content: [part] }],
          output_text: text,
          usage: { input_tokens: inputTokens, output_tokens: outputTokens, total_tokens: inputTokens + outputTokens },
        },
        ...(built === undefined ? [] : [built]),
      );
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

function answer(payload: Record<string, unknown>, ...built: StructuredAnswer[]): GenerationAnswer {
  if (built.length === 0) return { ok: true, payload };
  return { ok: true, payload, structured: built.map(({ kind, reask }) => ({ kind, reask })) };
}

// OpenAI's own limit on `n`; a value it would refuse is read as 1 here rather than answered 400.
const MAX_CHOICES = 128;

/** `n` choices, as OpenAI answers them: an integer from 1 to 128, else 1. */
function readChoiceCount(value: unknown): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_CHOICES ? value : 1;
}

function invalid(message: string, param: string | null, code: string): GenerationProblem {
  return { ok: false, message, param, code };
}
