import { createHash } from 'node:crypto';
import { toCanonicalJson } from '../canonical-json.ts';
import { isRecord } from '../deterministic-answer.ts';
import { createSeededRandom } from '../seeded-random.ts';
import { type StructuredFaultRates, type StructuredKind, drawStructuredKind } from './draw-structured-kind.ts';
import { type JsonSchema, flattenSchema, generateSchemaValue } from './generate-schema-value.ts';
import type { StructuredRequest } from './read-structured-request.ts';

/** The message a structured request gets: its text (null for a refusal), the refusal and the finish reason. */
export interface StructuredAnswer {
  kind: StructuredKind;
  reask: boolean;
  content: string | null;
  refusal: string | null;
  /** `length` for a truncated answer, `stop` otherwise (a refusal included, as OpenAI sends it). */
  finishReason: 'stop' | 'length';
}

export interface StructuredAnswerOptions {
  rates: StructuredFaultRates;
  seed: number;
}

const REFUSAL_TEXT = "I'm sorry, but I can't help with that request.";

// Without a schema (json_object or the marker alone) the answer is an object of this shape.
const FREE_SCHEMA: JsonSchema = {
  type: 'object',
  properties: { answer: { type: 'string' }, confidence: { type: 'number', minimum: 0, maximum: 1 } },
  required: ['answer', 'confidence'],
  additionalProperties: false,
};

/**
 * The deterministic structured answer to `body` (its choice `choice` of `n`): the value is drawn from a PRNG seeded by the request's canonical
 * JSON (every field, so a re-ask with a new `seed` or a larger `max_tokens` is a new request), the fault kind from
 * the simulator seed and the same hash (draw-structured-kind.ts). The faults:
 *   invalidJson  -> prose with no JSON, or (every other request) a JSON-like object in prose with single quotes and a
 *                   trailing comma (repairable, never `JSON.parse`-able);
 *   schemaBreak  -> valid JSON without a required property, else with a property of the wrong type, else of the
 *                   wrong type at the root (an array for an object);
 *   shortText    -> the value drawn in short mode (strings under their minLength, arrays under their minItems);
 *   truncated    -> the first half of the valid JSON, finish_reason `length`;
 *   refusal      -> no content, `refusal` set.
 */
export function buildStructuredAnswer(
  request: StructuredRequest,
  body: Record<string, unknown>,
  options: StructuredAnswerOptions,
  choice = 0,
): StructuredAnswer {
  // Choice 0 hashes the body alone; choice k of `n` hashes it with `#k`, so each choice is a draw of its own.
  const hash = createHash('sha256').update(toCanonicalJson(body));
  const digest = (choice === 0 ? hash : hash.update(`#${String(choice)}`)).digest();
  const valueRandom = createSeededRandom(digest.readUInt32BE(0));
  const kind = drawStructuredKind(options.rates, options.seed, digest.readUInt32BE(4), request.reask);
  const schema = request.schema ?? FREE_SCHEMA;
  const answer = (content: string | null, extra: Partial<StructuredAnswer> = {}): StructuredAnswer => ({
    kind,
    reask: request.reask,
    content,
    refusal: null,
    finishReason: 'stop',
    ...extra,
  });
  switch (kind) {
    case 'valid':
      return answer(JSON.stringify(generateSchemaValue(schema, { random: valueRandom })));
    case 'shortText':
      return answer(JSON.stringify(generateSchemaValue(schema, { random: valueRandom, short: true })));
    case 'schemaBreak':
      return answer(JSON.stringify(breakSchema(schema, generateSchemaValue(schema, { random: valueRandom }))));
    case 'truncated': {
      const full = JSON.stringify(generateSchemaValue(schema, { random: valueRandom }));
      // A strict prefix of a serialized object or array never parses: its closing bracket is its last character.
      return answer(full.slice(0, Math.max(1, Math.floor(full.length / 2))), { finishReason: 'length' });
    }
    case 'refusal':
      return answer(null, { refusal: REFUSAL_TEXT });
    case 'invalidJson': {
      const value = generateSchemaValue(schema, { random: valueRandom });
      return answer(digest[8]! % 2 === 0 ? describeInProse(value) : looseJson(value));
    }
  }
}

/** `value` (which fits `schema`) changed so it no longer does; see buildStructuredAnswer. */
function breakSchema(schema: JsonSchema, value: unknown): unknown {
  const root = flattenSchema(schema, schema);
  if (isRecord(root) && isRecord(value)) {
    const required = Array.isArray(root['required']) ? root['required'].filter((key) => typeof key === 'string') : [];
    const dropped = required.find((key) => key in value);
    if (dropped !== undefined) {
      const { [dropped]: _removed, ...rest } = value;
      return rest;
    }
    const properties = isRecord(root['properties']) ? root['properties'] : {};
    for (const [key, propertySchema] of Object.entries(properties)) {
      if (!(key in value)) continue;
      const flat = flattenSchema(propertySchema as JsonSchema, schema);
      if (!isRecord(flat) || typeof flat['type'] !== 'string') continue;
      return { ...value, [key]: flat['type'] === 'string' ? 12_345 : 'not the right type' };
    }
  }
  if (Array.isArray(value)) return { items: value };
  if (isRecord(value)) return ['not', 'an', 'object'];
  return typeof value === 'string' ? { text: value } : 'not the right type';
}

function describeInProse(value: unknown): string {
  const fields = isRecord(value) ? Object.keys(value).slice(0, 3).join(', ') : 'the answer';
  return `Sure! Looking at this carefully, I would say ${fields || 'the answer'} all come out fine overall. Let me know if you need anything else.`;
}

/** JSON-ish text a lenient parser can repair: single quotes everywhere, a trailing comma, wrapped in prose. */
function looseJson(value: unknown): string {
  const json = JSON.stringify(isRecord(value) ? value : { value });
  const quoted = json.replace(/"((?:[^"\\]|\\.)*)"/g, (_match, inner: string) => `'${inner.replaceAll("'", "\\'")}'`);
  return `Here is the analysis: ${quoted.slice(0, -1)},}`;
}
