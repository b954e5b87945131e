import { isRecord } from '../deterministic-answer.ts';
import { withDescribedConstraints } from './read-described-constraints.ts';

/**
 * A value that fits a JSON Schema, drawn from `random` so the same seed gives the same value. What it honours:
 * `type` (a list picks its first non-null type), `properties` + `required` (optional properties are drawn in or left
 * out; no property outside `properties` is ever added, so `additionalProperties: false` holds), `enum`, `const`,
 * `minLength`/`maxLength` (counted in code points, as ajv does), `minItems`/`maxItems`, `items`/`prefixItems`,
 * `uniqueItems`, `anyOf`/`oneOf` (the first branch), `allOf` (merged), `$ref` into `$defs`/`definitions` (JSON
 * pointers from the root), `minimum`/`maximum` and their exclusive forms, `multipleOf` for integers, and `format`
 * (date, date-time, time, email, uri/url, uuid, ipv4, hostname). `pattern`, `not` and `if`/`then` are not read. Text
 * looks Chinese when the property name or description hints so (`_zh`, `chinese`, `中文`). Constraints stated in a
 * description the way Anthropic's SDKs move them there (`{minLength: 200}`) count as keywords (read-described-constraints.ts).
 *
 * `short: true` draws the shortText fault instead: every string with a `minLength` gets half of it, other free text
 * two characters, every array with `minItems` half of them, other arrays none.
 */
export interface GenerateSchemaValueOptions {
  random: () => number;
  short?: boolean;
}

export type JsonSchema = Record<string, unknown> | boolean;

// A recursive schema (a tree of $refs) stops growing here: below it only required properties and minItems are drawn.
const MAX_DEPTH = 6;

const WORDS = [
  'clear',
  'balanced',
  'warm',
  'quiet',
  'bright',
  'steady',
  'careful',
  'honest',
  'vivid',
  'calm',
  'sharp',
  'gentle',
  'market',
  'river',
  'garden',
  'signal',
  'harbor',
  'lantern',
  'meadow',
  'pattern',
  'journey',
  'canvas',
  'story',
  'season',
  'notes',
  'light',
  'detail',
  'moment',
  'voice',
  'balance',
];
const CHINESE =
  '画面构图平衡色彩和谐笔触细腻光影层次丰富主题鲜明情感表达真挚线条流畅空间处理得当意境深远细节刻画生动整体气韵贯通作者功力深厚观者印象深刻';

interface Walk {
  root: JsonSchema;
  random: () => number;
  short: boolean;
  /** Each subschema flattened once per value: items of an array, above all, share one (a `$ref` costs ~1 µs). */
  flattened: Map<Record<string, unknown>, JsonSchema>;
}

export function generateSchemaValue(schema: JsonSchema, options: GenerateSchemaValueOptions): unknown {
  const walk: Walk = { root: schema, random: options.random, short: options.short === true, flattened: new Map() };
  return generate(schema, walk, 0, '');
}

/** The schema `$ref` points at, resolved against the root (`#`, `#/$defs/x`, `#/definitions/x`, any JSON pointer). */
function resolveRef(root: JsonSchema, ref: string): JsonSchema | undefined {
  if (!ref.startsWith('#')) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(1).split('/').slice(1)) {
    const key = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
    if (!isRecord(node)) return undefined;
    node = node[key];
  }
  return isRecord(node) || typeof node === 'boolean' ? node : undefined;
}

function generate(schema: JsonSchema, walk: Walk, depth: number, name: string): unknown {
  let resolved = typeof schema === 'boolean' ? schema : walk.flattened.get(schema);
  if (resolved === undefined) {
    resolved = flatten(schema, walk.root, 0);
    if (typeof resolved !== 'boolean') resolved = withDescribedConstraints(resolved);
    walk.flattened.set(schema as Record<string, unknown>, resolved);
  }
  if (resolved === true) return pickWords(walk.random, 1, 3);
  if (resolved === false) return null;
  if ('const' in resolved) return resolved['const'];
  const choices = resolved['enum'];
  if (Array.isArray(choices) && choices.length > 0) return choices[Math.floor(walk.random() * choices.length)];
  switch (pickType(resolved)) {
    case 'object':
      return generateObject(resolved, walk, depth);
    case 'array':
      return generateArray(resolved, walk, depth, name);
    case 'integer':
      return generateInteger(resolved, walk.random);
    case 'number':
      return generateNumber(resolved, walk.random);
    case 'boolean':
      return walk.random() < 0.5;
    case 'null':
      return null;
    default:
      return generateString(resolved, walk, name);
  }
}

/** `schema` with its `$ref`s followed (against `root`), its first `anyOf`/`oneOf` branch taken and `allOf` merged. */
export function flattenSchema(schema: JsonSchema, root: JsonSchema): JsonSchema {
  return flatten(schema, root, 0);
}

function flatten(schema: JsonSchema, root: JsonSchema, hops: number): JsonSchema {
  if (typeof schema === 'boolean' || hops > 32) return schema;
  let current: Record<string, unknown> = schema;
  const ref = current['$ref'];
  if (typeof ref === 'string') {
    const target = resolveRef(root, ref);
    if (target === undefined) return true;
    const { $ref: _dropped, ...siblings } = current;
    const flatTarget = flatten(target, root, hops + 1);
    if (typeof flatTarget === 'boolean') return flatTarget;
    current = { ...flatTarget, ...siblings };
  }
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = current[key];
    if (Array.isArray(branches) && branches.length > 0) {
      const { [key]: _dropped, ...rest } = current;
      const branch = flatten(branches[0] as JsonSchema, root, hops + 1);
      if (typeof branch === 'boolean') return branch;
      current = mergeSchemas(rest, branch);
    }
  }
  const parts = current['allOf'];
  if (Array.isArray(parts)) {
    const { allOf: _dropped, ...rest } = current;
    current = rest;
    for (const part of parts) {
      const flatPart = flatten(part as JsonSchema, root, hops + 1);
      if (typeof flatPart !== 'boolean') current = mergeSchemas(current, flatPart);
    }
  }
  return current;
}

function mergeSchemas(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base, ...extra };
  if (isRecord(base['properties']) && isRecord(extra['properties'])) {
    merged['properties'] = { ...base['properties'], ...extra['properties'] };
  }
  if (Array.isArray(base['required']) && Array.isArray(extra['required'])) {
    merged['required'] = [...new Set([...(base['required'] as unknown[]), ...(extra['required'] as unknown[])])];
  }
  return merged;
}

function pickType(schema: Record<string, unknown>): string {
  const type = schema['type'];
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) {
    const types = type as unknown[];
    const first = types.find((entry) => entry !== 'null') ?? types[0];
    if (typeof first === 'string') return first;
  }
  if (isRecord(schema['properties']) || Array.isArray(schema['required'])) return 'object';
  if ('items' in schema || 'prefixItems' in schema || 'minItems' in schema) return 'array';
  if ('minimum' in schema || 'maximum' in schema) return 'number';
  return 'string';
}

function generateObject(schema: Record<string, unknown>, walk: Walk, depth: number): Record<string, unknown> {
  const properties = isRecord(schema['properties']) ? schema['properties'] : {};
  const required = new Set(
    Array.isArray(schema['required']) ? schema['required'].filter((key) => typeof key === 'string') : [],
  );
  const value: Record<string, unknown> = {};
  for (const [key, propertySchema] of Object.entries(properties)) {
    // Drawn for every property, so whether an optional one is in does not shift the draws of the next.
    const include = walk.random() < 0.6;
    if (!required.has(key) && (!include || depth >= MAX_DEPTH)) continue;
    value[key] = generate(propertySchema as JsonSchema, walk, depth + 1, key);
  }
  const extra = schema['additionalProperties'];
  for (const key of required) {
    if (key in value) continue;
    value[key] = generate(isRecord(extra) ? extra : true, walk, depth + 1, key);
  }
  return value;
}

function generateArray(schema: Record<string, unknown>, walk: Walk, depth: number, name: string): unknown[] {
  const minItems = readCount(schema['minItems'], 0);
  const maxItems = readCount(schema['maxItems'], Number.POSITIVE_INFINITY);
  let count: number;
  if (walk.short) count = Math.floor(minItems / 2);
  else if (depth >= MAX_DEPTH) count = minItems;
  else count = Math.min(maxItems, Math.max(minItems, 1) + Math.floor(walk.random() * 3));
  const prefix = Array.isArray(schema['prefixItems']) ? (schema['prefixItems'] as JsonSchema[]) : [];
  const itemsSchema = schema['items'];
  const items: JsonSchema = isRecord(itemsSchema) || typeof itemsSchema === 'boolean' ? itemsSchema : true;
  const unique = schema['uniqueItems'] === true;
  const values: unknown[] = [];
  const seen = new Set<string>();
  // A uniqueItems array redraws a repeated value a few times; a schema that allows too few distinct values ends short.
  for (let tries = 0; values.length < count && tries < count * 8 + 8; tries += 1) {
    const itemSchema = prefix[values.length] ?? items;
    const item = generate(itemSchema, walk, depth + 1, name);
    if (unique) {
      const key = JSON.stringify(item);
      if (seen.has(key)) continue;
      seen.add(key);
    }
    values.push(item);
  }
  return values;
}

function generateInteger(schema: Record<string, unknown>, random: () => number): number {
  const { low, high } = readBounds(schema, true);
  const step =
    typeof schema['multipleOf'] === 'number' && Number.isInteger(schema['multipleOf']) ? schema['multipleOf'] : 1;
  const first = Math.ceil(low / step) * step;
  const slots = Math.max(0, Math.floor((high - first) / step));
  return first + Math.floor(random() * (slots + 1)) * step;
}

function generateNumber(schema: Record<string, unknown>, random: () => number): number {
  const { low, high } = readBounds(schema, false);
  const value = Math.round((low + (high - low) * (0.1 + 0.8 * random())) * 100) / 100;
  return value >= low && value <= high && isInsideExclusive(schema, value) ? value : (low + high) / 2;
}

/** Inclusive bounds; without any, 0..100; with one, 100 wide from it. Exclusive bounds move in by 1 (integers) or 1e-6. */
function readBounds(schema: Record<string, unknown>, integer: boolean): { low: number; high: number } {
  const nudge = integer ? 1 : 1e-6;
  const readLow = (): number | undefined => {
    const exclusive = schema['exclusiveMinimum'];
    const inclusive = schema['minimum'];
    if (typeof exclusive === 'number') return integer ? Math.floor(exclusive) + nudge : exclusive + nudge;
    return typeof inclusive === 'number' ? (integer ? Math.ceil(inclusive) : inclusive) : undefined;
  };
  const readHigh = (): number | undefined => {
    const exclusive = schema['exclusiveMaximum'];
    const inclusive = schema['maximum'];
    if (typeof exclusive === 'number') return integer ? Math.ceil(exclusive) - nudge : exclusive - nudge;
    return typeof inclusive === 'number' ? (integer ? Math.floor(inclusive) : inclusive) : undefined;
  };
  const low = readLow();
  const high = readHigh();
  if (low === undefined && high === undefined) return { low: 0, high: 100 };
  if (low === undefined) return { low: high! - 100, high: high! };
  if (high === undefined) return { low, high: low + 100 };
  return { low, high: Math.max(low, high) };
}

function isInsideExclusive(schema: Record<string, unknown>, value: number): boolean {
  const low = schema['exclusiveMinimum'];
  const high = schema['exclusiveMaximum'];
  return (typeof low !== 'number' || value > low) && (typeof high !== 'number' || value < high);
}

function generateString(schema: Record<string, unknown>, walk: Walk, name: string): string {
  const format = schema['format'];
  if (typeof format === 'string') {
    const formatted = formatString(format, walk.random);
    if (formatted !== undefined) return formatted;
  }
  const minLength = readCount(schema['minLength'], 0);
  const maxLength = readCount(schema['maxLength'], Number.POSITIVE_INFINITY);
  const chinese = hintsChinese(name, schema['description']);
  if (walk.short)
    return fitLength(chinese ? pickChinese(walk.random, 2) : 'ok', 0, minLength > 0 ? Math.floor(minLength / 2) : 2);
  const text = chinese
    ? pickChinese(walk.random, Math.max(minLength, 12 + Math.floor(walk.random() * 20)))
    : pickWords(walk.random, 3, 8, minLength);
  return fitLength(text, minLength, maxLength);
}

function hintsChinese(name: string, description: unknown): boolean {
  if (/(^|_|-)(zh|cn)($|_|-)|chinese/i.test(name)) return true;
  return typeof description === 'string' && /chinese|中文|汉语|zh-cn/i.test(description);
}

/** Cut to `maxLength` code points, padded with `.`-free filler to `minLength`. */
function fitLength(text: string, minLength: number, maxLength: number): string {
  let points = [...text];
  if (points.length > maxLength) points = points.slice(0, maxLength);
  while (points.length < minLength) points.push(...[...' steady notes'].slice(0, minLength - points.length));
  // A cut that ends on a space leaves the text looking unfinished; a letter reads better and keeps the length.
  if (points.length > 0 && points[points.length - 1] === ' ') points[points.length - 1] = 's';
  return points.join('');
}

function pickWords(random: () => number, fewest: number, most: number, minLength = 0): string {
  const words: string[] = [];
  const count = fewest + Math.floor(random() * (most - fewest + 1));
  let length = -1;
  while (words.length < count || length < minLength) {
    const word = WORDS[Math.floor(random() * WORDS.length)]!;
    words.push(word);
    length += word.length + 1;
  }
  const text = words.join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function pickChinese(random: () => number, length: number): string {
  const chars = [...CHINESE];
  const start = Math.floor(random() * chars.length);
  let text = '';
  for (let index = 0; index < length; index += 1) text += chars[(start + index) % chars.length]!;
  return text;
}

function formatString(format: string, random: () => number): string | undefined {
  const pick = (limit: number): number => Math.floor(random() * limit);
  const two = (value: number): string => String(value).padStart(2, '0');
  const date = `20${two(20 + pick(6))}-${two(1 + pick(12))}-${two(1 + pick(28))}`;
  const time = `${two(pick(24))}:${two(pick(60))}:${two(pick(60))}`;
  const word = (): string => WORDS[pick(WORDS.length)]!;
  switch (format) {
    case 'date':
      return date;
    case 'date-time':
      return `${date}T${time}Z`;
    case 'time':
      return `${time}Z`;
    case 'email':
      return `${word()}.${word()}@example.com`;
    case 'uri':
    case 'url':
    case 'iri':
      return `https://example.com/${word()}/${String(pick(10_000))}`;
    case 'uri-reference':
      return `/${word()}/${String(pick(10_000))}`;
    case 'hostname':
      return `${word()}.example.com`;
    case 'ipv4':
      return `192.0.2.${String(1 + pick(254))}`;
    case 'uuid': {
      const hex = (count: number): string => Array.from({ length: count }, () => pick(16).toString(16)).join('');
      return `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
    }
    default:
      return undefined;
  }
}

function readCount(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : fallback;
}
