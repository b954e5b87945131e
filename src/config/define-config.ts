import type { BatchpilotConfig } from './config-schema.ts';

/**
 * Returns its argument, typed: a config written in code gets the keys of `batchpilot.yaml` checked and completed
 * by the editor, as with `vite`'s `defineConfig`. Use it for the `config` of `runJob`/`createJob`/`planJob`, or as the
 * default export of a `batchpilot.config.mjs` (or `.js`), which `batchpilot run` and `plan` load like
 * `batchpilot.yaml`. Validation still happens when the config is used, with the same errors as for a file.
 *
 * @example
 * // batchpilot.config.mjs
 * import { defineConfig } from 'batchpilot';
 * export default defineConfig({ base_url: 'http://127.0.0.1:8000/v1', model: 'gpt-4o-mini', concurrency: 16 });
 */
export function defineConfig(config: BatchpilotConfig): BatchpilotConfig {
  return config;
}
