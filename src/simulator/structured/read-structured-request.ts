import { contentText, isRecord, lastUserText } from '../deterministic-answer.ts';
import type { GenerationEndpoint } from '../generation-endpoint.ts';
import type { JsonSchema } from './generate-schema-value.ts';

/** What a request asks for when it asks for JSON: a schema to fit (or none: any small object) and whether it is a re-ask. */
export interface StructuredRequest {
  schema: JsonSchema | undefined;
  /** The last user message starts with `Your previous answer` (a feedback re-ask). */
  reask: boolean;
}

const JSON_MARKER = 'answer with json';
const REASK_PREFIX = 'Your previous answer';

// ```json fences after `Schema:`; the schema a prompt-only request (no response_format) spells out.
const PROMPT_SCHEMA = /Schema:\s*```json\s*\n([\s\S]*?)```/;

/**
 * Whether a request asks for JSON, and against which schema. In order: chat `response_format` (`json_schema` with
 * `json_schema.schema`, or `json_object`), Responses `text.format` (`json_schema` with `schema`, or `json_object`),
 * Anthropic-style `output_config.format` / `output_format` (`json_schema` with `schema`), then the marker
 * `Answer with JSON` (any case) in a system or user message or the Responses `instructions`. The marker may sit in an
 * earlier user message than the last: a feedback re-ask ends with its own message. A prompt-only request may give its
 * schema in the text, in a ```json fence after `Schema:`. Undefined when the request does not ask for JSON.
 */
export function readStructuredRequest(
  endpoint: GenerationEndpoint,
  body: Record<string, unknown>,
): StructuredRequest | undefined {
  if (endpoint !== 'chat/completions' && endpoint !== 'responses') return undefined;
  const texts = promptTexts(endpoint, body);
  const reask = lastUserText(endpoint, body).trimStart().startsWith(REASK_PREFIX);
  const declared = readDeclaredFormat(body);
  if (declared !== undefined) return { schema: declared.schema ?? findPromptSchema(texts), reask };
  if (!texts.some((text) => text.toLowerCase().includes(JSON_MARKER))) return undefined;
  return { schema: findPromptSchema(texts), reask };
}

function readDeclaredFormat(body: Record<string, unknown>): { schema: JsonSchema | undefined } | undefined {
  const responseFormat = body['response_format'];
  if (isRecord(responseFormat)) {
    if (responseFormat['type'] === 'json_object') return { schema: undefined };
    if (responseFormat['type'] === 'json_schema') {
      const spec = responseFormat['json_schema'];
      return { schema: isRecord(spec) ? asSchema(spec['schema']) : undefined };
    }
  }
  const outputConfig = body['output_config'];
  for (const format of [
    isRecord(body['text']) ? body['text']['format'] : undefined,
    isRecord(outputConfig) ? outputConfig['format'] : undefined,
    body['output_format'],
  ]) {
    if (!isRecord(format)) continue;
    if (format['type'] === 'json_object') return { schema: undefined };
    if (format['type'] === 'json_schema') return { schema: asSchema(format['schema']) };
  }
  return undefined;
}

function findPromptSchema(texts: string[]): JsonSchema | undefined {
  for (const text of texts) {
    const match = PROMPT_SCHEMA.exec(text);
    if (match === null) continue;
    try {
      const schema = asSchema(JSON.parse(match[1]!));
      if (schema !== undefined) return schema;
    } catch {
      // Not JSON: the prompt's own business; answer as if no schema was given.
    }
  }
  return undefined;
}

function asSchema(value: unknown): JsonSchema | undefined {
  return isRecord(value) || typeof value === 'boolean' ? value : undefined;
}

/** System, developer and user texts (chat), or the instructions and input texts (responses). */
function promptTexts(endpoint: GenerationEndpoint, body: Record<string, unknown>): string[] {
  const texts: string[] = [];
  if (endpoint === 'responses') {
    if (typeof body['instructions'] === 'string') texts.push(body['instructions']);
    if (typeof body['input'] === 'string') {
      texts.push(body['input']);
      return texts;
    }
  }
  const messages = endpoint === 'responses' ? body['input'] : body['messages'];
  if (!Array.isArray(messages)) return texts;
  for (const message of messages) {
    if (isRecord(message) && message['role'] !== 'assistant') texts.push(contentText(message['content']));
  }
  return texts;
}
