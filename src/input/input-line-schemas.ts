import * as z from 'zod';

import { isJsonObject } from './describe-json-type.ts';

/**
 * Minimal, tolerant schemas of the accepted input lines (SPEC section 3). They check only what
 * batchpilot needs to build a request; every other field passes through untouched, and the
 * provider judges the rest of the body. Parsers use the original parsed value, not the schema's
 * output, so nothing is copied on the hot path.
 */

/** OpenAI's own limit on `custom_id` in Batch API files. */
export const CUSTOM_ID_MAX_LENGTH = 512;

/** Endpoints an OpenAI batch line may target; `/v4/` for OpenAI-compatible providers that use it. */
export const OPENAI_BATCH_URLS: ReadonlySet<string> = new Set(
  ['v1', 'v4'].flatMap((version) =>
    ['chat/completions', 'responses', 'embeddings', 'completions'].map((endpoint) => `/${version}/${endpoint}`),
  ),
);

/** A JSON object, checked without copying it (a record schema would copy every key). */
export const jsonObjectSchema = z.custom<Record<string, unknown>>(isJsonObject, { params: { expected: 'object' } });

export const openAIBatchLineSchema = z.looseObject({
  custom_id: z.string().min(1).max(CUSTOM_ID_MAX_LENGTH),
  // OpenAI's Batch API only takes POST; a missing or null method means POST.
  method: z.literal('POST').nullish(),
  url: z.string(),
  body: jsonObjectSchema,
});

export const chatMessageSchema = z.looseObject({ role: z.string() });

const messagesRowSchemas = new Map<string, z.ZodType>();

/** The schema of a message row whose messages sit under `messagesKey` (`input.messages_key`). Cached per key. */
export function getMessagesRowSchema(messagesKey: string): z.ZodType {
  let schema = messagesRowSchemas.get(messagesKey);
  if (schema === undefined) {
    schema = z.looseObject({
      model: z.string().min(1).nullish(),
      extra_body: jsonObjectSchema.nullish(),
      [messagesKey]: z.array(chatMessageSchema).min(1),
    });
    messagesRowSchemas.set(messagesKey, schema);
  }
  return schema;
}

/*
 * Hand-written twins of the schemas above, for the hot path: a valid line skips the schema
 * (about 20 times cheaper than `safeParse`, a tenth of a line's parse time), and only a line
 * that fails them is run through the schema, which has the final word and words the reason.
 * Each must accept nothing its schema rejects; `input-line-schemas.test.ts` checks them side by side.
 */

/** True only for values `openAIBatchLineSchema` accepts. */
export function isValidOpenAIBatchLine(value: Record<string, unknown>): boolean {
  const customId = value['custom_id'];
  const method = value['method'];
  return (
    typeof customId === 'string' &&
    customId.length > 0 &&
    customId.length <= CUSTOM_ID_MAX_LENGTH &&
    (method === undefined || method === null || method === 'POST') &&
    typeof value['url'] === 'string' &&
    isJsonObject(value['body'])
  );
}

/** True only for values `getMessagesRowSchema(messagesKey)` accepts. */
export function isValidMessagesRow(value: Record<string, unknown>, messagesKey: string): boolean {
  const messages = value[messagesKey];
  if (!Array.isArray(messages) || messages.length === 0) return false;
  for (const message of messages as unknown[]) {
    if (!isJsonObject(message) || typeof message['role'] !== 'string') return false;
  }
  const model = value['model'];
  if (model !== undefined && model !== null && (typeof model !== 'string' || model === '')) return false;
  const extraBody = value['extra_body'];
  return extraBody === undefined || extraBody === null || isJsonObject(extraBody);
}
