import { z } from 'zod';

/**
 * Reads the shape of the config schema (known keys, expected types, ranges),
 * so that messages, key suggestions and scalar parsing follow the schema
 * instead of a second, hand-kept list of keys.
 */

type Schema = z.core.$ZodType;

/** Optional, default, prefault, nullable, readonly and pipe wrappers, outermost first, then the core schema. */
function unwrapLayers(schema: Schema): Schema[] {
  const layers: Schema[] = [schema];
  let current = schema;
  for (;;) {
    let inner: Schema | undefined;
    if (
      current instanceof z.core.$ZodOptional ||
      current instanceof z.core.$ZodDefault ||
      current instanceof z.core.$ZodPrefault ||
      current instanceof z.core.$ZodNullable ||
      current instanceof z.core.$ZodReadonly
    ) {
      inner = current._zod.def.innerType;
    } else if (current instanceof z.core.$ZodPipe) {
      inner = current._zod.def.in;
    }
    if (inner === undefined) return layers;
    layers.push(inner);
    current = inner;
  }
}

function unwrap(schema: Schema): Schema {
  const layers = unwrapLayers(schema);
  return layers[layers.length - 1] ?? schema;
}

/** The schema of the value at `path`, or undefined when no such key exists. */
export function schemaAt(root: Schema, path: readonly string[]): Schema | undefined {
  let current: Schema | undefined = root;
  for (const segment of path) {
    if (current === undefined) return undefined;
    const core: Schema = unwrap(current);
    if (core instanceof z.core.$ZodObject) {
      const shape = core._zod.def.shape;
      current = Object.hasOwn(shape, segment) ? shape[segment] : undefined;
    } else if (core instanceof z.core.$ZodRecord) {
      current = core._zod.def.valueType;
    } else if (core instanceof z.core.$ZodArray && /^\d+$/.test(segment)) {
      // A list entry (`sinks.0.type`): every index has the element's schema.
      current = core._zod.def.element;
    } else {
      return undefined;
    }
  }
  return current;
}

/** The keys allowed in the mapping at `path`, or undefined when any key is (a record) or it is not a mapping. */
export function keysAt(root: Schema, path: readonly string[]): string[] | undefined {
  const schema = schemaAt(root, path);
  if (schema === undefined) return undefined;
  const core = unwrap(schema);
  return core instanceof z.core.$ZodObject ? Object.keys(core._zod.def.shape) : undefined;
}

/** Whether values at this key are text as written (strings, enum names), never numbers or booleans. */
export function isTextSchema(schema: Schema | undefined): boolean {
  if (schema === undefined) return false;
  const core = unwrap(schema);
  return core instanceof z.core.$ZodString || core instanceof z.core.$ZodEnum;
}

function boundOf(value: unknown): number | undefined {
  // int() sets the safe-integer bounds, which are not limits worth telling a user about.
  return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) < Number.MAX_SAFE_INTEGER
    ? value
    : undefined;
}

/** The allowed range of a number key, e.g. `from 1 to 1024`, `1024 or more`; undefined when unbounded. */
export function describeRange(schema: Schema): string | undefined {
  const core = unwrap(schema);
  if (!(core instanceof z.ZodNumber)) return undefined;
  const minimum = boundOf(core.minValue);
  const maximum = boundOf(core.maxValue);
  if (minimum !== undefined && maximum !== undefined) return `from ${String(minimum)} to ${String(maximum)}`;
  if (minimum !== undefined) return `${String(minimum)} or more`;
  if (maximum !== undefined) return `${String(maximum)} or less`;
  return undefined;
}

/** The allowed values of an enum key, or undefined. */
export function enumValues(schema: Schema): string[] | undefined {
  const core = unwrap(schema);
  return core instanceof z.core.$ZodEnum ? Object.values(core._zod.def.entries).map(String) : undefined;
}

/** What a value at this key must be, as a phrase: `an integer from 1 to 1024`, `one of "a", "b"`. */
export function describeExpected(schema: Schema | undefined): string {
  if (schema === undefined) return 'a valid value';
  for (const layer of unwrapLayers(schema)) {
    const description = z.globalRegistry.get(layer)?.description;
    if (description !== undefined) return description;
  }
  const core = unwrap(schema);
  if (core instanceof z.ZodNumber) {
    const range = describeRange(core);
    const kind = core.isInt ? 'an integer' : 'a number';
    if (range === undefined) return kind;
    return range.startsWith('from') ? `${kind} ${range}` : `${kind} of ${range}`;
  }
  if (core instanceof z.core.$ZodEnum) {
    return `one of ${(enumValues(core) ?? []).map((value) => JSON.stringify(value)).join(', ')}`;
  }
  if (core instanceof z.core.$ZodString) return 'a string';
  if (core instanceof z.core.$ZodBoolean) return 'true or false';
  if (core instanceof z.core.$ZodObject || core instanceof z.core.$ZodRecord) return 'a mapping of keys';
  if (core instanceof z.core.$ZodUnion) {
    return core._zod.def.options.map((option) => describeExpected(option)).join(' or ');
  }
  return 'a valid value';
}
