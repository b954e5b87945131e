import { findJsonMember } from './find-json-member.ts';
import { formatSchemaIssues } from './format-schema-issues.ts';
import { checkGenerationParameters } from './check-generation-parameters.ts';
import {
  CUSTOM_ID_MAX_LENGTH,
  OPENAI_BATCH_URLS,
  isValidOpenAIBatchLine,
  openAIBatchLineSchema,
} from './input-line-schemas.ts';
import type { JsonLine, ParseOutcome } from './parse-outcome.ts';

const ACCEPTED_URLS = [...OPENAI_BATCH_URLS].join(', ');

/**
 * Parse a line of OpenAI batch format: `{"custom_id", "method": "POST", "url", "body"}`.
 * The body is sent exactly as the line has it; batchpilot's `model` and `request` defaults
 * do not apply to this format.
 */
export function parseOpenAIBatchLine(line: JsonLine): ParseOutcome {
  const { value } = line;
  if (!isValidOpenAIBatchLine(value)) {
    const result = openAIBatchLineSchema.safeParse(value);
    if (!result.success) {
      const reason = formatSchemaIssues(result.error.issues, value);
      const customId = readableCustomId(value['custom_id']);
      return customId === undefined ? { ok: false, reason } : { ok: false, reason, customId };
    }
  }
  // Checked just above, by the fast check or the schema.
  const customId = value['custom_id'] as string;
  const url = value['url'] as string;
  if (!OPENAI_BATCH_URLS.has(url)) {
    return {
      ok: false,
      customId,
      reason: `"url" ${JSON.stringify(url)} is not supported; use one of ${ACCEPTED_URLS}`,
    };
  }
  const badParameter = checkGenerationParameters(value['body'] as Record<string, unknown>, 'body.');
  if (badParameter !== undefined) return { ok: false, customId, reason: badParameter };
  const span = findJsonMember(line.text, 'body');
  const bodyText = span === undefined ? JSON.stringify(value['body']) : line.text.slice(span.start, span.end);
  return { ok: true, customId, request: { method: 'POST', url, body: bodyText } };
}

function readableCustomId(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' && value.length <= CUSTOM_ID_MAX_LENGTH ? value : undefined;
}
