/**
 * The strict form of a JSON Schema for OpenAI's structured outputs (`response_format: json_schema, strict: true`),
 * or why there is none. Strict mode wants every object closed (`additionalProperties: false`) with every property
 * in `required`, and knows only part of JSON Schema. So: an optional property becomes required and nullable, an
 * object without `additionalProperties` is closed, and keywords strict mode ignores or refuses (string lengths,
 * `uniqueItems`, ...) are dropped from the copy sent; each change is listed. The original schema still validates
 * every answer locally, so nothing is lost by dropping them. A schema that cannot be made strict (an open map, a
 * root that is not an object, `allOf`/`oneOf`/`not`/conditionals) gets `{ ok: false }`, and the request asks for
 * `json_object` instead.
 */
export type StrictSchemaResult =
  { ok: true; schema: Record<string, unknown>; changes: string[] } | { ok: false; reason: string };

const DROPPED = new Set([
  '$schema',
  '$id',
  'minLength',
  'maxLength',
  'minProperties',
  'maxProperties',
  'uniqueItems',
  'contains',
  'minContains',
  'maxContains',
  'default',
  'examples',
]);

const UNSUPPORTED = new Set([
  'allOf',
  'oneOf',
  'not',
  'if',
  'then',
  'else',
  'patternProperties',
  'dependentRequired',
  'dependentSchemas',
  'unevaluatedProperties',
  'unevaluatedItems',
  'propertyNames',
  'prefixItems',
]);

class NotStrict extends Error {}

type Schema = Record<string, unknown>;

function isSchema(value: unknown): value is Schema {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function deriveStrictSchema(schema: Schema): StrictSchemaResult {
  if (schema['type'] !== 'object') {
    return { ok: false, reason: 'strict mode needs a root of type object' };
  }
  const changes: string[] = [];
  try {
    return { ok: true, schema: strictNode(schema, '', changes), changes };
  } catch (error) {
    if (error instanceof NotStrict) return { ok: false, reason: error.message };
    throw error;
  }
}

function strictNode(node: Schema, path: string, changes: string[]): Schema {
  const out: Schema = {};
  for (const [keyword, value] of Object.entries(node)) {
    if (UNSUPPORTED.has(keyword))
      throw new NotStrict(`${path || '/'} uses ${keyword}, which strict mode does not support`);
    if (DROPPED.has(keyword)) {
      if (keyword !== '$schema' && keyword !== '$id')
        changes.push(`${path || '/'}: dropped ${keyword} (checked locally)`);
      continue;
    }
    out[keyword] = value;
  }
  if (isSchema(node['properties']) || node['type'] === 'object') {
    const properties = isSchema(node['properties']) ? node['properties'] : {};
    const additional = node['additionalProperties'];
    if (additional !== undefined && additional !== false) {
      throw new NotStrict(`${path || '/'} allows additional properties (an open map), which strict mode does not`);
    }
    if (additional === undefined) changes.push(`${path || '/'}: set additionalProperties: false`);
    out['additionalProperties'] = false;
    const required = new Set(Array.isArray(node['required']) ? (node['required'] as string[]) : []);
    const strictProperties: Schema = {};
    for (const [name, child] of Object.entries(properties)) {
      if (!isSchema(child)) throw new NotStrict(`${path}/properties/${name} is not a schema object`);
      let strictChild = strictNode(child, `${path}/${name}`, changes);
      if (!required.has(name)) {
        strictChild = { anyOf: [strictChild, { type: 'null' }] };
        changes.push(`${path}/${name}: optional, made required and nullable (null means absent)`);
      }
      strictProperties[name] = strictChild;
    }
    out['properties'] = strictProperties;
    out['required'] = Object.keys(properties);
  }
  if (isSchema(node['items'])) out['items'] = strictNode(node['items'], `${path}/items`, changes);
  if (Array.isArray(node['anyOf'])) {
    out['anyOf'] = (node['anyOf'] as unknown[]).map((branch, index): unknown =>
      isSchema(branch) ? strictNode(branch, `${path}/anyOf/${String(index)}`, changes) : branch,
    );
  }
  for (const definitions of ['$defs', 'definitions']) {
    const defs = node[definitions];
    if (!isSchema(defs)) continue;
    out[definitions] = Object.fromEntries(
      Object.entries(defs).map(([name, child]) => [
        name,
        isSchema(child) ? strictNode(child, `${path}/${definitions}/${name}`, changes) : child,
      ]),
    );
  }
  return out;
}
