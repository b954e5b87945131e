import { ConfigError } from '../errors/index.ts';
import { redactSecrets } from '../util/redact.ts';
import { configSchema } from './config-schema.ts';
import type { ConfigEntry } from './config-source.ts';
import { flattenConfigValue } from './merge-config-layers.ts';
import { parseFlagNumber, parseScalarText } from './parse-scalar-text.ts';
import { isTextSchema, schemaAt } from './schema-shape.ts';

/**
 * The CLI flags that set config keys, as the CLI parser hands them over:
 * values are the text typed (numbers are accepted too), unset flags are
 * absent or undefined.
 */
export interface ConfigFlags {
  /** `--base-url URL` -> `base_url` */
  baseUrl?: string | undefined;
  /** `--model NAME` -> `model` */
  model?: string | undefined;
  /** `--concurrency N` -> `concurrency` */
  concurrency?: string | number | undefined;
  /** `--limit N` -> `limit` */
  limit?: string | number | undefined;
  /** `--rpm N` -> `rate_limit.rpm` */
  rpm?: string | number | undefined;
  /** `--tpm N` -> `rate_limit.tpm` */
  tpm?: string | number | undefined;
  /** `--max-attempts N` -> `retry.max_attempts` */
  maxAttempts?: string | number | undefined;
  /** `--timeout-ms N` -> `timeout_ms` */
  timeoutMs?: string | number | undefined;
  /** `--format auto|openai_batch|messages` -> `input.format` */
  format?: string | undefined;
  /** `--messages-key NAME` -> `input.messages_key` */
  messagesKey?: string | undefined;
  /** `--api-key-env NAME` -> `api_key_env` */
  apiKeyEnv?: string | undefined;
  /** `--order input|completion` -> `output.order` */
  order?: string | undefined;
  /** `--set key.path=value`, repeatable; the value is a YAML scalar. */
  set?: readonly string[] | undefined;
}

export type NamedConfigFlag = Exclude<keyof ConfigFlags, 'set'>;

/** Each typed flag, its spelling on the command line and the key it sets; the CLI can declare its options from it. */
export const CONFIG_FLAGS: { readonly [Name in NamedConfigFlag]: { readonly flag: string; readonly key: string } } = {
  baseUrl: { flag: '--base-url', key: 'base_url' },
  model: { flag: '--model', key: 'model' },
  concurrency: { flag: '--concurrency', key: 'concurrency' },
  limit: { flag: '--limit', key: 'limit' },
  rpm: { flag: '--rpm', key: 'rate_limit.rpm' },
  tpm: { flag: '--tpm', key: 'rate_limit.tpm' },
  maxAttempts: { flag: '--max-attempts', key: 'retry.max_attempts' },
  timeoutMs: { flag: '--timeout-ms', key: 'timeout_ms' },
  format: { flag: '--format', key: 'input.format' },
  messagesKey: { flag: '--messages-key', key: 'input.messages_key' },
  apiKeyEnv: { flag: '--api-key-env', key: 'api_key_env' },
  order: { flag: '--order', key: 'output.order' },
};

function readNamedFlags(flags: ConfigFlags): ConfigEntry[] {
  const entries: ConfigEntry[] = [];
  for (const [name, { flag, key }] of Object.entries(CONFIG_FLAGS)) {
    const raw = flags[name as NamedConfigFlag];
    if (raw === undefined) continue;
    const path = key.split('.');
    const text = String(raw);
    const value = typeof raw === 'number' || isTextSchema(schemaAt(configSchema, path)) ? raw : parseFlagNumber(text);
    entries.push({ path, value, source: { kind: 'flag', flag, key, text } });
  }
  return entries;
}

function readSetFlag(item: string): ConfigEntry[] {
  const separator = item.indexOf('=');
  const key = separator === -1 ? item.trim() : item.slice(0, separator).trim();
  const path = key.split('.').map((segment) => segment.trim());
  if (separator === -1 || path.some((segment) => segment === '')) {
    throw new ConfigError(
      'CONFIG_INVALID',
      `flag --set expects key.path=value (e.g. --set request.max_tokens=256), got ${JSON.stringify(redactSecrets(item, []))}`,
      { context: { flag: '--set', key } },
    );
  }
  const text = item.slice(separator + 1);
  const value = parseScalarText(text, schemaAt(configSchema, path));
  // A literal key on the command line is still a key: never echo it in a message.
  const shownText = path[0] === 'api_key' ? '***' : text;
  return flattenConfigValue(path, value, { kind: 'flag', flag: '--set', key: path.join('.'), text: shownText });
}

/**
 * The flag layer: typed flags, then each `--set`. A `--set` of a key a typed
 * flag also sets is refused rather than silently picking one.
 */
export function readFlagLayer(flags: ConfigFlags): ConfigEntry[] {
  const named = readNamedFlags(flags);
  const generic = (flags.set ?? []).flatMap(readSetFlag);
  for (const entry of generic) {
    const clash = named.find((other) => other.path.join('.') === entry.path.slice(0, other.path.length).join('.'));
    if (clash !== undefined && clash.source.kind === 'flag' && entry.source.kind === 'flag') {
      throw new ConfigError(
        'CONFIG_INVALID',
        `flag --set ${entry.source.key}=... and flag ${clash.source.flag} both set "${clash.source.key}"; pass only one`,
        { context: { flag: '--set', key: clash.source.key } },
      );
    }
  }
  return [...named, ...generic];
}
