import { DEFAULT_API_KEY_ENV } from './config-schema.ts';
import { readFlagLayer, type ConfigFlags } from './config-flags.ts';
import { readConfigFile } from './read-config-file.ts';
import { readEnvLayer } from './read-env-layer.ts';
import { resolveConfig, type LoadedConfig } from './resolve-config.ts';

export type { LoadedConfig } from './resolve-config.ts';
export { fromStoredConfig, toStoredConfig, type StoredConfigOverrides } from './stored-config.ts';

export interface LoadConfigOptions {
  /** The working folder: where `batchpilot.yaml` is looked for and `--config` is resolved from. */
  readonly cwd: string;
  /** `--config FILE`; when given, the file must exist. */
  readonly configPath?: string | undefined;
  /** The process environment (passed in, never read from `process.env` here). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly flags: ConfigFlags;
  /** `--simulate`: `base_url` and the API key are not needed. */
  readonly simulate?: boolean | undefined;
}

/**
 * Loads the configuration (SPEC §4): defaults < file < `BATCHPILOT_*`
 * environment < flags, validated once against the strict schema, with the API
 * key resolved from `$api_key_env` (else a literal `api_key`, warned about),
 * and returned deeply frozen. Nothing below the config layer reads the
 * environment again.
 *
 * Throws ConfigError: CONFIG_UNREADABLE (missing `--config` file, unreadable
 * file, YAML syntax error with file:line:col), CONFIG_INVALID (one line per
 * problem, naming key, source and fix). A missing key is a warning, not an
 * error: local servers such as vLLM need none.
 */
export async function loadConfig(options: LoadConfigOptions): Promise<LoadedConfig> {
  const fileLayer = await readConfigFile({ cwd: options.cwd, configPath: options.configPath });
  const flagEntries = readFlagLayer(options.flags);

  // The variable holding the key may itself start with BATCHPILOT_; it is not a config key.
  const keyEnvName = [
    ...flagEntries.filter((entry) => entry.path.join('.') === 'api_key_env').map((entry) => entry.value),
    options.env['BATCHPILOT_API_KEY_ENV'],
    ...fileLayer.entries.filter((entry) => entry.path.join('.') === 'api_key_env').map((entry) => entry.value),
  ].find((value): value is string => typeof value === 'string' && value !== '');
  const envEntries = readEnvLayer(options.env, {
    ignore: [keyEnvName ?? DEFAULT_API_KEY_ENV],
  });

  const resolved = resolveConfig({
    entries: [...fileLayer.entries, ...envEntries, ...flagEntries],
    configFile: fileLayer.file,
    configLabel: fileLayer.label,
    env: options.env,
    simulate: options.simulate ?? false,
  });
  return { config: resolved.config, warnings: [...fileLayer.warnings, ...resolved.warnings] };
}
