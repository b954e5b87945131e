import { ConfigError } from '../errors/index.ts';
import type { BatchpilotConfig } from './config-schema.ts';
import { flattenConfigObject, isPlainObject } from './merge-config-layers.ts';
import { resolveConfig, type LoadedConfig } from './resolve-config.ts';

export interface ResolveConfigObjectOptions {
  /** Read only for the variable `api_key_env` names (the key), as for a file. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** How the object is named in error lines. @default 'config' */
  readonly label?: string;
}

/**
 * A config given as an object (the library's `config` option) validated exactly as a file is: the same keys, the
 * same strict schema and defaults, the same `CONFIG_INVALID` lines naming the key, the key read from `$api_key_env`.
 * No `BATCHPILOT_*` variables are applied: in code the object says everything (see decision 0012).
 */
export function resolveConfigObject(values: BatchpilotConfig, options: ResolveConfigObjectOptions): LoadedConfig {
  const label = options.label ?? 'config';
  if (!isPlainObject(values)) {
    throw new ConfigError('CONFIG_INVALID', `${label} must be an object of keys such as { concurrency: 32 }`, {
      context: {},
    });
  }
  return resolveConfig({
    entries: flattenConfigObject(values, { kind: 'object', label }),
    configFile: null,
    configLabel: label,
    env: options.env,
    simulate: false,
  });
}
