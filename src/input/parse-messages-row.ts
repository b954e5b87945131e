import { describeJsonType } from './describe-json-type.ts';
import { findJsonMember } from './find-json-member.ts';
import { formatSchemaIssues } from './format-schema-issues.ts';
import { getMessagesRowSchema, isValidMessagesRow } from './input-line-schemas.ts';
import type { JsonLine, ParseOutcome } from './parse-outcome.ts';
import { resolveRowCustomId } from './resolve-row-custom-id.ts';
import { checkGenerationParameters } from './check-generation-parameters.ts';

/**
 * Row fields sent as generation parameters, overriding the config's `request` defaults.
 * Any other field of the row (`post_id`, `category`, ...) is metadata and is not sent;
 * a row's `extra_body` object is sent whole and wins over everything.
 */
export const ROW_OVERRIDE_KEYS = [
  'model',
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'stop',
  'seed',
  'n',
  'presence_penalty',
  'frequency_penalty',
  'response_format',
  'tools',
  'tool_choice',
  'logprobs',
  'top_logprobs',
  'user',
] as const;

const OVERRIDE_KEY_SET: ReadonlySet<string> = new Set(ROW_OVERRIDE_KEYS);

/** The one endpoint message rows are sent to. */
export const MESSAGES_ROW_URL = '/v1/chat/completions';

export interface MessagesRowOptions {
  /** Where the row keeps its messages (`input.messages_key`); they are always sent as `messages`. */
  messagesKey: string;
  /** The config's `model`, used when the row has none. */
  defaultModel?: string | undefined;
  /** The config's `request` defaults with its extra body fields merged in (no `extra_body` key). */
  defaultBody: Readonly<Record<string, unknown>>;
}

/**
 * Parse a message row into a chat completion request. The body is, from lowest to highest
 * precedence: the config's model, request defaults and extra body, the row's own generation
 * parameters (`ROW_OVERRIDE_KEYS`), the row's `extra_body`. A null row field counts as unset.
 * `custom_id` is the row's `custom_id`, else its `id`, else its line number.
 */
export function parseMessagesRow(line: JsonLine, options: MessagesRowOptions): ParseOutcome {
  const { value: row, text } = line;
  const { messagesKey } = options;
  const id = resolveRowCustomId(row, line.lineNo);
  const explicitId = id.ok && id.explicit ? id.customId : undefined;

  const result = isValidMessagesRow(row, messagesKey) ? undefined : getMessagesRowSchema(messagesKey).safeParse(row);
  if (result?.success === false) {
    let reason = formatSchemaIssues(result.error.issues, row);
    if (result.error.issues.some((issue) => issue.path.length === 1 && issue.path[0] === messagesKey)) {
      reason += ` (input.messages_key is ${JSON.stringify(messagesKey)})`;
    }
    if (!id.ok) reason = `${id.reason}; ${reason}`;
    return explicitId === undefined ? { ok: false, reason } : { ok: false, reason, customId: explicitId };
  }
  if (!id.ok) return { ok: false, reason: id.reason };

  let overrides: Record<string, unknown> | undefined;
  // Walk the row's few keys rather than probing it for every known parameter.
  for (const key in row) {
    if (!OVERRIDE_KEY_SET.has(key)) continue;
    const value = row[key];
    if (value !== undefined && value !== null) (overrides ??= {})[key] = value;
  }
  const rowExtraBody = row['extra_body'] as Record<string, unknown> | null | undefined;
  const badParameter =
    (overrides === undefined ? undefined : checkGenerationParameters(overrides)) ??
    (row['stream'] === undefined || row['stream'] === null
      ? undefined
      : checkGenerationParameters({ stream: row['stream'] })) ??
    (rowExtraBody === undefined || rowExtraBody === null
      ? undefined
      : checkGenerationParameters(rowExtraBody, 'extra_body.'));
  if (badParameter !== undefined) {
    return { ok: false, ...(explicitId !== undefined && { customId: explicitId }), reason: badParameter };
  }
  const defaults = getPreparedDefaults(options);
  let model: unknown = defaults.model;
  let parametersJson = defaults.parametersJson;
  if (overrides !== undefined || (rowExtraBody !== undefined && rowExtraBody !== null)) {
    // Messages always come from the row's messages key, whatever the defaults or extra_body hold.
    const {
      model: mergedModel,
      messages: _ignoredMessages,
      ...parameters
    } = { ...options.defaultBody, ...overrides, ...rowExtraBody };
    model = mergedModel ?? options.defaultModel;
    parametersJson = JSON.stringify(parameters);
  }
  if (model === undefined) {
    return {
      ok: false,
      ...(explicitId !== undefined && { customId: explicitId }),
      reason: 'no model for this row: set "model" in batchpilot.yaml, or a "model" field on the row',
    };
  }
  if (typeof model !== 'string' || model === '') {
    return {
      ok: false,
      ...(explicitId !== undefined && { customId: explicitId }),
      reason: `"model" must be a non-empty string, got ${describeJsonType(model)}`,
    };
  }

  const span = findJsonMember(text, messagesKey);
  const messagesJson = span === undefined ? JSON.stringify(row[messagesKey]) : text.slice(span.start, span.end);
  const modelJson = model === defaults.model ? defaults.modelJson : JSON.stringify(model);
  // Assembled by hand so the messages, usually most of the line, are sliced rather than serialised again.
  const body =
    parametersJson === '{}'
      ? `{"model":${modelJson},"messages":${messagesJson}}`
      : `{"model":${modelJson},"messages":${messagesJson},${parametersJson.slice(1)}`;
  return { ok: true, customId: id.customId, request: { method: 'POST', url: MESSAGES_ROW_URL, body } };
}

interface PreparedDefaults {
  model: unknown;
  modelJson: string;
  /** The default body without model and messages, as JSON: what most rows send unchanged. */
  parametersJson: string;
}

const preparedDefaults = new WeakMap<MessagesRowOptions, PreparedDefaults>();

/** Serialise the defaults once per options object instead of once per row. */
function getPreparedDefaults(options: MessagesRowOptions): PreparedDefaults {
  let prepared = preparedDefaults.get(options);
  if (prepared === undefined) {
    const { model, messages: _ignoredMessages, ...parameters } = options.defaultBody;
    const resolvedModel = model ?? options.defaultModel;
    prepared = {
      model: resolvedModel,
      modelJson: JSON.stringify(resolvedModel) ?? 'null',
      parametersJson: JSON.stringify(parameters),
    };
    preparedDefaults.set(options, prepared);
  }
  return prepared;
}
