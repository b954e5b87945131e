import { ConfigError } from '../errors/index.ts';
import { knownSecrets, redactObject } from '../util/redact.ts';
import { DEFAULT_API_KEY_ENV, type ResolvedConfig } from './config-schema.ts';
import { readFlagLayer, type ConfigFlags } from './config-flags.ts';
import type { ConfigEntry } from './config-source.ts';
import { flattenConfigObject } from './merge-config-layers.ts';
import { parseConfigFile } from './read-config-file.ts';
import { resolveConfig, type LoadedConfig } from './resolve-config.ts';

/**
 * The config as the job store keeps it, and back. The stored form never holds
 * a key: `apiKey` is dropped and a literal `api_key` becomes `***`, which on
 * resume means "read `api_key` from the original config file again".
 */

const MASK = '***';

/** Stored beside the config keys, like `configFile` and `simulate`: the job was created with a key. */
const API_KEY_REQUIRED = 'apiKeyRequired';

/**
 * The config as plain JSON for the job store: snake_case keys as in the file,
 * plus `configFile` and `simulate`; no `apiKey`, `api_key` as `***` when set,
 * and any string holding a known secret redacted.
 */
export function toStoredConfig(config: ResolvedConfig): Record<string, unknown> {
  // The proxy is read from the environment again on every run (its URL may hold a password).
  const { apiKey, proxy: _proxy, ...rest } = config;
  const plain = JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
  if (plain['api_key'] !== undefined) plain['api_key'] = MASK;
  // Whether the job was created with a key (never the key): a later run without one would only collect 401s.
  plain[API_KEY_REQUIRED] = apiKey !== null && !config.simulate && config.provider !== 'command';
  return redactObject(plain, apiKey === null ? knownSecrets() : [apiKey, ...knownSecrets()]);
}

export interface StoredConfigOverrides {
  /** The environment at resume time: the key is read again from `$api_key_env`. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Flags given to `resume` (e.g. `--concurrency`), over the stored values. */
  readonly flags?: ConfigFlags | undefined;
  /** Defaults to the stored `simulate`. */
  readonly simulate?: boolean | undefined;
  /**
   * Refuse (`API_KEY_MISSING`) when the job was created with a key and none is found now. Default true;
   * false for work that sends nothing to the provider (cancelling a realtime job nobody runs).
   */
  readonly requireKey?: boolean | undefined;
}

/** The variable a job whose key was a literal `api_key` reads it from on resume when the file is gone. */
const FALLBACK_API_KEY_ENV = 'BATCHPILOT_API_KEY';

/**
 * The environment variables a stored job's key may be read from on resume (see `fromStoredConfig`): what a process
 * that runs the job for someone else (the scheduler) needs to be handed.
 */
export function storedKeyVariables(apiKeyEnv: string | undefined): string[] {
  return apiKeyEnv === undefined ? [FALLBACK_API_KEY_ENV] : [apiKeyEnv, FALLBACK_API_KEY_ENV];
}

/**
 * Rebuilds a ResolvedConfig on resume: stored values < resume flags,
 * validated again. `BATCHPILOT_*` variables are not applied again: the stored
 * config already holds what they said when the job was created. The key comes
 * from `$api_key_env` now, else (when the job used a literal `api_key`) from
 * the original config file, else from `BATCHPILOT_API_KEY`.
 *
 * Throws CONFIG_INVALID when the stored values no longer validate, and
 * API_KEY_MISSING when the job's literal key came from a file that cannot be
 * read now and `$api_key_env` is not set.
 */
export async function fromStoredConfig(
  stored: Readonly<Record<string, unknown>>,
  overrides: StoredConfigOverrides,
): Promise<LoadedConfig> {
  // A copy: the caller's object must not end up frozen inside the returned config.
  const {
    configFile,
    simulate,
    apiKey: _apiKey,
    api_key: storedLiteral,
    [API_KEY_REQUIRED]: apiKeyRequired,
    ...values
  } = structuredClone(stored);
  const file = typeof configFile === 'string' ? configFile : null;
  const entries: ConfigEntry[] = flattenConfigObject(values, { kind: 'stored' });
  const flagEntries = readFlagLayer(overrides.flags ?? {});

  if (storedLiteral !== undefined) {
    const keyEnv =
      overrides.flags?.apiKeyEnv ??
      (typeof values['api_key_env'] === 'string' ? values['api_key_env'] : DEFAULT_API_KEY_ENV);
    const hasEnvKey = (overrides.env[keyEnv] ?? '') !== '';
    if (file !== null) {
      try {
        const fileValues = await parseConfigFile(file, file);
        const literal = fileValues['api_key'];
        if (typeof literal === 'string') {
          entries.push({ path: ['api_key'], value: literal, source: { kind: 'file', file, label: file } });
        }
      } catch (error) {
        if (!hasEnvKey) {
          throw new ConfigError(
            'API_KEY_MISSING',
            `the job used api_key from ${file}, which cannot be read now; set $${keyEnv} or restore the file`,
            { cause: error, context: { file, key: 'api_key' } },
          );
        }
      }
    }
    const fromBatchpilotEnv = overrides.env[FALLBACK_API_KEY_ENV];
    if (fromBatchpilotEnv !== undefined && fromBatchpilotEnv !== '') {
      entries.push({
        path: ['api_key'],
        value: fromBatchpilotEnv,
        source: { kind: 'env', variable: FALLBACK_API_KEY_ENV, key: 'api_key', text: MASK },
      });
    }
  }

  const loaded = resolveConfig({
    entries: [...entries, ...flagEntries],
    configFile: file,
    configLabel: file,
    env: overrides.env,
    simulate: overrides.simulate ?? simulate === true,
  });
  const { config } = loaded;
  if (
    apiKeyRequired === true &&
    overrides.requireKey !== false &&
    config.apiKey === null &&
    !config.simulate &&
    config.provider !== 'command'
  ) {
    // The job was created with a key and this process has none (a scheduler started from a shell without it,
    // a resume in another terminal): running would send every request without Authorization.
    throw new ConfigError(
      'API_KEY_MISSING',
      `the job was created with a key in $${config.api_key_env} (api_key_env), which is not set here; export ${config.api_key_env}=... and run again (for a detached job: "batchpilot resume JOB --detach" from a shell that has it)`,
      { context: { key: 'api_key_env' } },
    );
  }
  return loaded;
}
