import { ConfigError } from '../errors/index.ts';
import { configSchema } from './config-schema.ts';
import type { ConfigEntry } from './config-source.ts';
import { flattenConfigValue } from './merge-config-layers.ts';
import { parseScalarText } from './parse-scalar-text.ts';
import { keysAt, schemaAt } from './schema-shape.ts';
import { suggestClosest } from './suggest-closest.ts';

const PREFIX = 'BATCHPILOT_';

/**
 * `BATCHPILOT_*` variables that are not config keys and so are not reported
 * as unknown. `BATCHPILOT_WORKSPACE` picks the workspace folder and `BATCHPILOT_STORE` the store's database, which
 * are CLI concerns, not part of a job's config. Add new non-config variables here.
 */
export const NON_CONFIG_ENV_VARS: readonly string[] = [
  'BATCHPILOT_WORKSPACE',
  'BATCHPILOT_STORE',
  'BATCHPILOT_CRASH_AT',
];

export interface ReadEnvLayerOptions {
  /** Further variables to skip, e.g. the one `api_key_env` names when it starts with `BATCHPILOT_`. */
  readonly ignore?: readonly string[];
}

/**
 * The environment layer: `BATCHPILOT_BASE_URL` sets `base_url`, and a double
 * underscore nests, so `BATCHPILOT_RATE_LIMIT__RPM` sets `rate_limit.rpm`.
 * Names are lowercased into keys. Values are YAML scalars (`32` is a number);
 * empty variables count as unset. A variable whose name is close to a key
 * (`BATCHPILOT_CONCURENCY`) is kept: it becomes an unknown key the schema
 * reports with the variable's name and the suggestion. One far from every key
 * (`BATCHPILOT_DEBUG`) belongs to something else in the user's environment and
 * is ignored: an unrelated variable must not block every run.
 */
export function readEnvLayer(
  env: Readonly<Record<string, string | undefined>>,
  options: ReadEnvLayerOptions = {},
): ConfigEntry[] {
  const ignored = new Set([...NON_CONFIG_ENV_VARS, ...(options.ignore ?? [])]);
  const names = Object.keys(env)
    .filter((name) => name.startsWith(PREFIX) && !ignored.has(name))
    .sort();
  const entries: ConfigEntry[] = [];
  const topLevelKeys = keysAt(configSchema, []) ?? [];
  for (const variable of names) {
    const text = env[variable];
    if (text === undefined || text === '') continue;
    const path = variable.slice(PREFIX.length).toLowerCase().split('__');
    if (path.some((segment) => segment === '')) {
      throw new ConfigError(
        'CONFIG_INVALID',
        `environment variable ${variable} does not name a config key; nested keys are joined with a double ` +
          'underscore, as in BATCHPILOT_RATE_LIMIT__RPM',
        { context: { key: path.join('.') } },
      );
    }
    const [top = ''] = path;
    if (!topLevelKeys.includes(top) && suggestClosest(top, topLevelKeys, { strict: true }) === undefined) continue;
    const value = parseScalarText(text, schemaAt(configSchema, path));
    entries.push(...flattenConfigValue(path, value, { kind: 'env', variable, key: path.join('.'), text }));
  }
  return entries;
}
