import type { ConfigEntry, ConfigSource } from './config-source.ts';

/**
 * The layers merged into one raw object (not yet validated), remembering which
 * entry supplied each key so that errors can name the file, variable or flag.
 */
export interface MergedConfig {
  readonly values: Record<string, unknown>;
  /** The source of the value at `path`, of the nearest enclosing value, or of a value inside it. */
  sourceAt(path: readonly string[]): ConfigSource | undefined;
  valueAt(path: readonly string[]): unknown;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/**
 * Splits a value into leaf entries (scalars, lists, empty mappings), so that
 * layers merge key by key: a `BATCHPILOT_REQUEST__TEMPERATURE` overrides one
 * key of the file's `request:` and keeps the others.
 */
export function flattenConfigValue(path: readonly string[], value: unknown, source: ConfigSource): ConfigEntry[] {
  if (!isPlainObject(value) || Object.keys(value).length === 0) return [{ path, value, source }];
  return Object.entries(value).flatMap(([key, child]) => flattenConfigValue([...path, key], child, source));
}

/** `flattenConfigValue` for a whole layer (a file's top-level mapping). */
export function flattenConfigObject(values: Readonly<Record<string, unknown>>, source: ConfigSource): ConfigEntry[] {
  return Object.entries(values).flatMap(([key, value]) => flattenConfigValue([key], value, source));
}

const SEPARATOR = '\u0000';

function isPrefix(prefix: readonly string[], path: readonly string[]): boolean {
  return prefix.length <= path.length && prefix.every((segment, index) => segment === path[index]);
}

function setAt(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  path.forEach((segment, index) => {
    if (index === path.length - 1) {
      // defineProperty, so a key named `__proto__` stays a key (and is then reported as unknown).
      Object.defineProperty(node, segment, { value, enumerable: true, writable: true, configurable: true });
      return;
    }
    let child = node[segment];
    if (!isPlainObject(child) || !Object.hasOwn(node, segment)) {
      child = {};
      Object.defineProperty(node, segment, { value: child, enumerable: true, writable: true, configurable: true });
    }
    node = child as Record<string, unknown>;
  });
}

/** Merges leaf entries given lowest precedence first: a later entry wins. */
export function mergeConfigLayers(entries: readonly ConfigEntry[]): MergedConfig {
  const winners = new Map<string, ConfigEntry>();
  for (const entry of entries) {
    const isEmptyMapping = isPlainObject(entry.value) && Object.keys(entry.value).length === 0;
    const covered = [...winners.values()].filter(
      (winner) => isPrefix(winner.path, entry.path) || isPrefix(entry.path, winner.path),
    );
    // An empty mapping adds nothing to keys already set below it.
    if (isEmptyMapping && covered.some((winner) => winner.path.length > entry.path.length)) continue;
    for (const winner of covered) winners.delete(winner.path.join(SEPARATOR));
    winners.set(entry.path.join(SEPARATOR), entry);
  }

  const values: Record<string, unknown> = {};
  for (const entry of winners.values()) setAt(values, entry.path, entry.value);

  return {
    values,
    sourceAt(path) {
      for (let length = path.length; length > 0; length -= 1) {
        const winner = winners.get(path.slice(0, length).join(SEPARATOR));
        if (winner !== undefined) return winner.source;
      }
      for (const winner of winners.values()) if (isPrefix(path, winner.path)) return winner.source;
      return undefined;
    },
    valueAt(path) {
      let node: unknown = values;
      for (const segment of path) {
        // A list's entries are reached by index (`sinks.0.type`), as zod's issue paths name them.
        if (Array.isArray(node) && /^\d+$/.test(segment)) {
          node = node[Number(segment)];
          continue;
        }
        if (!isPlainObject(node) || !Object.hasOwn(node, segment)) return undefined;
        node = node[segment];
      }
      return node;
    },
  };
}
