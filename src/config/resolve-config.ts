import { ConfigError } from '../errors/index.ts';
import { knownSecrets, redactSecrets, registerSecret } from '../util/redact.ts';
import {
  ANTHROPIC_API_KEY_ENV,
  configSchema,
  DEFAULT_API_KEY_ENV,
  HARD_CAPS,
  type ResolvedConfig,
  urlCredentials,
} from './config-schema.ts';
import { describeConfigSource, type ConfigEntry, type ConfigSource } from './config-source.ts';
import { deepFreeze } from './deep-freeze.ts';
import { createConfigError, formatConfigIssues, formatMissingBaseUrl } from './format-config-issues.ts';
import { mergeConfigLayers } from './merge-config-layers.ts';
import { proxyPasswords, readProxySettings } from './proxy-settings.ts';

/**
 * The shared back half of `loadConfig` and `fromStoredConfig`: merge the
 * layers, validate once, check `base_url`, resolve the API key, freeze.
 */

export interface ResolveConfigOptions {
  /** Leaf entries of every layer, lowest precedence first. */
  readonly entries: readonly ConfigEntry[];
  readonly configFile: string | null;
  readonly configLabel: string | null;
  /** Read only for the variable `api_key_env` names. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly simulate: boolean;
}

export interface LoadedConfig {
  readonly config: ResolvedConfig;
  /** One line each, secrets masked; the CLI prints them before the run starts. */
  readonly warnings: string[];
}

function literalKeyWarning(source: ConfigSource | undefined, keyEnv: string): string {
  const fix = `prefer api_key_env: ${keyEnv} and keep the key in the environment`;
  if (source === undefined || source.kind === 'file') {
    return `${source?.label ?? 'the config'}: api_key is written in the file; ${fix}`;
  }
  // No colon right after the source: `BATCHPILOT_API_KEY: x` would read as a key value to redactSecrets.
  if (source.kind === 'flag') {
    return `${describeConfigSource(source)} puts a key on the command line, where shell history keeps it; ${fix}`;
  }
  return `${describeConfigSource(source)} sets a literal api_key; ${fix}`;
}

/**
 * Local servers take placeholder keys (`EMPTY`, `none`, `dummy`); masking those
 * process-wide would garble every log line containing the word. Real keys are
 * far longer than this.
 */
const MIN_REGISTERED_KEY_LENGTH = 8;

function registerKey(key: string): void {
  if (key.length >= MIN_REGISTERED_KEY_LENGTH) registerSecret(key);
}

/** Whether the user named `api_key_env` now (flag, environment or file); a stored job's value was resolved before. */
function namesKeyVariable(source: ConfigSource | undefined): boolean {
  return source !== undefined && source.kind !== 'stored';
}

export function resolveConfig(options: ResolveConfigOptions): LoadedConfig {
  const merged = mergeConfigLayers(options.entries);
  const rawLiteral = merged.valueAt(['api_key']);
  const rawKeyEnv = merged.valueAt(['api_key_env']);
  const defaultKeyEnv = merged.valueAt(['provider']) === 'anthropic' ? ANTHROPIC_API_KEY_ENV : DEFAULT_API_KEY_ENV;
  const rawEnvKey = typeof rawKeyEnv === 'string' ? options.env[rawKeyEnv] : options.env[defaultKeyEnv];
  // Masked in every message below, even before we know the config is valid.
  const secrets = [rawLiteral, rawEnvKey, ...urlCredentials(merged.valueAt(['base_url'])), ...knownSecrets()].filter(
    (secret): secret is string => typeof secret === 'string',
  );

  // The hard cap gets its own code (SPEC section 10): no approval flag can pass it.
  const rawConcurrency = merged.valueAt(['concurrency']);
  if (typeof rawConcurrency === 'number' && rawConcurrency > HARD_CAPS.concurrency) {
    const source = merged.sourceAt(['concurrency']);
    const where = source === undefined ? '' : ` (from ${describeConfigSource(source)})`;
    throw new ConfigError(
      'CONCURRENCY_OVER_HARD_CAP',
      `concurrency ${String(rawConcurrency)}${where} is over the hard cap of ${String(HARD_CAPS.concurrency)}, which no flag or approval can pass; lower concurrency`,
      {
        context: {
          key: 'concurrency',
          ...(source?.kind === 'flag' ? { flag: source.flag } : {}),
          ...(source?.kind === 'file' ? { file: source.file } : {}),
        },
      },
    );
  }
  const result = configSchema.safeParse(merged.values);
  const problems = result.success
    ? []
    : formatConfigIssues(result.error.issues, {
        merged,
        fallbackLabel: options.configLabel ?? 'config',
        fallbackFile: options.configFile ?? undefined,
      });
  // Local commands need no endpoint.
  if (!options.simulate && merged.valueAt(['base_url']) === undefined && merged.valueAt(['provider']) !== 'command') {
    problems.push(formatMissingBaseUrl(options.configLabel ?? 'batchpilot.yaml', options.configFile ?? undefined));
  }
  if (!result.success || problems.length > 0) throw createConfigError(problems, secrets);

  // Anthropic's key lives in its own variable unless api_key_env says otherwise.
  const values = rawKeyEnv === undefined ? { ...result.data, api_key_env: defaultKeyEnv } : result.data;
  // The default concurrency is a default, not a request: a configured cap under it lowers it rather than
  // refusing every run that sets no concurrency (an explicit value over the cap still needs its approval).
  if (merged.valueAt(['concurrency']) === undefined && values.limits.concurrency > 0) {
    values.concurrency = Math.min(values.concurrency, values.limits.concurrency);
  }
  const warnings: string[] = [];
  const fromEnv = options.env[values.api_key_env];
  let apiKey: string | null = null;
  if (fromEnv !== undefined && fromEnv !== '') apiKey = fromEnv;
  else if (values.api_key !== undefined) apiKey = values.api_key;

  if (values.api_key !== undefined) {
    registerKey(values.api_key);
    warnings.push(literalKeyWarning(merged.sourceAt(['api_key']), values.api_key_env));
  }
  if (apiKey !== null) registerKey(apiKey);
  else if (!options.simulate && namesKeyVariable(merged.sourceAt(['api_key_env'])) && values.provider !== 'command') {
    // Naming the variable says a key is wanted: an unset one is a mistake (a typo, an unexported
    // variable), not a keyless local server, which simply names none.
    const source = merged.sourceAt(['api_key_env']);
    throw new ConfigError(
      'API_KEY_MISSING',
      `$${values.api_key_env} (api_key_env, from ${source === undefined ? 'the config' : describeConfigSource(source)}) is not set; export ${values.api_key_env}=... or name the variable that holds the key`,
      { context: { key: 'api_key_env', ...(source?.kind === 'flag' ? { flag: source.flag } : {}) } },
    );
  } else if (!options.simulate) {
    warnings.push(`no API key in $${values.api_key_env}; sending requests without Authorization`);
  }

  // The built-in simulator listens on loopback, where a proxy could not reach it.
  const proxy = options.simulate ? null : readProxySettings(options.env);
  for (const password of proxyPasswords(proxy)) registerKey(password);
  const config: ResolvedConfig = deepFreeze({
    ...values,
    configFile: options.configFile,
    apiKey,
    simulate: options.simulate,
    proxy,
  });
  const allSecrets = [...secrets, ...(apiKey === null ? [] : [apiKey])];
  return { config, warnings: warnings.map((warning) => redactSecrets(warning, allSecrets)) };
}
