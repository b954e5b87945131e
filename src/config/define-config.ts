import type { BatchpilotConfig } from './config-schema.ts';

/**
 * Returns its argument: it exists so a config written in TypeScript is typed
 * and autocompleted against the schema, as with `vite`'s `defineConfig`.
 * Validation still happens when the config is loaded.
 */
export function defineConfig(config: BatchpilotConfig): BatchpilotConfig {
  return config;
}
