import { createHash } from 'node:crypto';
import { toCanonicalJson } from './canonical-json.ts';
import { type GenerationEndpoint, toGenerationEndpoint } from './generation-endpoint.ts';

/**
 * Answers are a pure function of the generation input, so a test can take any input line, recompute `answerKey` and
 * check that the output written for it carries the same key: a swapped or duplicated answer shows up at once.
 * Sampling parameters (temperature, max_tokens, ...) are left out of the key on purpose.
 */

const ANSWER_EXCERPT_CHARS = 40;

/** First 16 hex chars of sha256 over the canonical JSON of the fields that define the answer. */
export function answerKey(endpoint: string, body: unknown): string {
  const input = selectKeyInput(resolveEndpoint(endpoint), asRecord(body));
  return createHash('sha256').update(toCanonicalJson(input)).digest('hex').slice(0, 16);
}

/** `sim:<key> ` followed by the first 40 chars of the last user text (chat, responses) or of the prompt. */
export function answerText(endpoint: string, body: unknown): string {
  return formatAnswerText(answerKey(endpoint, body), lastUserText(resolveEndpoint(endpoint), asRecord(body)));
}

export function formatAnswerText(key: string, userText: string): string {
  return `sim:${key} ${userText.slice(0, ANSWER_EXCERPT_CHARS)}`;
}

/** Eight floats in [-1, 1] derived from the key and the input's position, rounded to keep bodies short. */
export function embeddingVector(key: string, index: number): number[] {
  const digest = createHash('sha256')
    .update(`${key}:${String(index)}`)
    .digest();
  const vector: number[] = [];
  for (let offset = 0; offset < 32; offset += 4) {
    vector.push(Math.round((digest.readUInt32BE(offset) / 4_294_967_295) * 2_000_000 - 1_000_000) / 1_000_000);
  }
  return vector;
}

export function selectKeyInput(endpoint: GenerationEndpoint, body: Record<string, unknown>): Record<string, unknown> {
  switch (endpoint) {
    case 'chat/completions':
      return { model: body['model'], messages: body['messages'] };
    case 'completions':
      return { model: body['model'], prompt: body['prompt'] };
    case 'embeddings':
      return { model: body['model'], input: body['input'] };
    case 'responses':
      return { model: body['model'], input: body['input'], instructions: body['instructions'] };
  }
}

/** The text the answer quotes: the last user message for chat and responses, the prompt for completions. */
export function lastUserText(endpoint: GenerationEndpoint, body: Record<string, unknown>): string {
  switch (endpoint) {
    case 'chat/completions':
      return lastUserContent(body['messages']);
    case 'completions':
      return promptText(body['prompt']);
    case 'embeddings':
      return '';
    case 'responses': {
      const input = body['input'];
      return typeof input === 'string' ? input : lastUserContent(input);
    }
  }
}

/** All prompt-side text of a request, for the deterministic token counts in `usage`. */
export function promptText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (!Array.isArray(value)) return '';
  return value.map((entry) => (typeof entry === 'string' ? entry : '')).join(' ');
}

/** Joins the text of a message content: a string, or an array of parts with a `text` field. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  const texts: string[] = [];
  for (const part of content) {
    if (typeof part === 'string') texts.push(part);
    else if (isRecord(part) && typeof part['text'] === 'string') texts.push(part['text']);
  }
  return texts.join(' ');
}

function lastUserContent(messages: unknown): string {
  if (!Array.isArray(messages)) return '';
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    const message: unknown = messages[index];
    if (isRecord(message) && message['role'] === 'user') return contentText(message['content']);
  }
  return '';
}

function resolveEndpoint(endpoint: string): GenerationEndpoint {
  const resolved = toGenerationEndpoint(endpoint);
  if (resolved === undefined) {
    throw new RangeError(
      `Expected \`endpoint\` to be chat/completions, completions, embeddings or responses (optionally under /v1/), got "${endpoint}"`,
    );
  }
  return resolved;
}

function asRecord(body: unknown): Record<string, unknown> {
  return isRecord(body) ? body : {};
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
