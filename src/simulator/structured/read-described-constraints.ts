/**
 * Constraints a schema node states in its `description` rather than as keywords, as Anthropic's SDKs write them
 * when they fit a schema to structured outputs (`transformJSONSchema`: keywords the decoder refuses, such as
 * `minLength` or `minItems: 18`, become a last paragraph `{minLength: 200, maxItems: 4}`). A model reads them there;
 * so does the simulator, so a request sent the Anthropic way gets the same fitting answer as one sent with the
 * keywords. Only the value keywords the generator honours are taken, and only where the node has no keyword of its own.
 */

const HONOURED = new Set([
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'format',
]);

// `{key: <JSON>, key: <JSON>}` as the last paragraph: keys are bare names, values JSON.
const LAST_PARAGRAPH = /(?:^|\n\n)(\{[^\n]*\})$/;
const BARE_KEY = /(^\{|, )([A-Za-z_$][\w$]*): /g;

export function withDescribedConstraints(schema: Record<string, unknown>): Record<string, unknown> {
  const description = schema['description'];
  if (typeof description !== 'string' || !description.endsWith('}')) return schema;
  const paragraph = LAST_PARAGRAPH.exec(description)?.[1];
  if (paragraph === undefined) return schema;
  let stated: unknown;
  try {
    stated = JSON.parse(paragraph.replace(BARE_KEY, '$1"$2": '));
  } catch {
    return schema;
  }
  if (typeof stated !== 'object' || stated === null || Array.isArray(stated)) return schema;
  let merged: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(stated as Record<string, unknown>)) {
    if (!HONOURED.has(key) || key in schema) continue;
    if (typeof value !== 'number' && typeof value !== 'boolean' && typeof value !== 'string') continue;
    merged ??= { ...schema };
    merged[key] = value;
  }
  return merged ?? schema;
}
