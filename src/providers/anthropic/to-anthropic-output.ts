import { isRecord } from '../../util/is-record.ts';
import { transformJSONSchema } from '@anthropic-ai/sdk/lib/transform-json-schema';

/**
 * How an OpenAI `response_format` is asked of the Messages API (decision 0021).
 *
 * - `json_schema` with `strict: true` -> `output_config.format: {type: 'json_schema', schema}`, Anthropic's
 *   structured outputs (constrained decoding; the answer is JSON in a text block). The schema goes through the SDK's
 *   own `transformJSONSchema`, which keeps what Anthropic's decoder accepts (types, properties, required, closed
 *   objects, enum/const, anyOf/allOf, $ref/$defs, minItems 0 or 1, some formats) and moves every other constraint
 *   (`minimum`, `maxItems`, `pattern`, ...) into the node's `description`, where the model still reads it; the API
 *   answers 400 to those keywords otherwise. The original schema still checks every answer (validate/).
 * - `json_schema` that is not strict (OpenAI: follow it if you can), or whose schema the transform cannot take (a
 *   node without `type`, `anyOf`, `enum` or `const`; draft-07 `definitions`) -> an instruction with the schema at the end of `system`:
 *   constrained decoding would refuse or over-constrain what OpenAI only takes as guidance.
 * - `json_object` -> an instruction at the end of `system`: the Messages API has no JSON mode.
 * - `text`, or nothing -> nothing.
 *
 * The json_schema `name` has no Anthropic counterpart and is dropped.
 */
export interface AnthropicOutput {
  format?: { type: 'json_schema'; schema: Record<string, unknown> };
  /** Appended to the request's system text. */
  systemInstruction?: string;
}

/** Starts as prep's own instruction does (`Answer with JSON only`), which the simulator keys on too. */
export const JSON_OBJECT_INSTRUCTION =
  'Answer with JSON only: a single JSON object, with no text before or after it and no code fence.';

export function toAnthropicOutput(responseFormat: unknown): AnthropicOutput {
  if (!isRecord(responseFormat)) return {};
  if (responseFormat['type'] === 'json_object') return { systemInstruction: JSON_OBJECT_INSTRUCTION };
  if (responseFormat['type'] !== 'json_schema') return {};
  const spec = isRecord(responseFormat['json_schema']) ? responseFormat['json_schema'] : {};
  const schema = spec['schema'];
  if (!isRecord(schema)) return { systemInstruction: JSON_OBJECT_INSTRUCTION };
  // The transform knows `$defs` only: a `#/definitions/...` reference would point at nothing and fail the line.
  if (spec['strict'] === true && schema['definitions'] === undefined) {
    try {
      return { format: { type: 'json_schema', schema: transformJSONSchema(schema) } };
    } catch {
      // A node the transform cannot type: asked in the prompt instead (below).
    }
  }
  return { systemInstruction: `${JSON_OBJECT_INSTRUCTION} It must match this JSON Schema:\n${JSON.stringify(schema)}` };
}
