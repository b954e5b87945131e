import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError } from '../errors/index.ts';
import { redactSecrets } from '../util/redact.ts';
import type { ConfigEntry } from './config-source.ts';
import { flattenConfigObject, isPlainObject } from './merge-config-layers.ts';

/**
 * Looked up in the working folder, in this order, when no `--config FILE` is given. A `.mjs`/`.js` file is a config
 * in code: its default export (a plain object, or `defineConfig({...})`) is validated exactly as the YAML (decision
 * 0012).
 */
export const DEFAULT_CONFIG_FILES: readonly string[] = [
  'batchpilot.yaml',
  'batchpilot.yml',
  'batchpilot.config.mjs',
  'batchpilot.config.js',
];

/** A config file in code rather than YAML. */
const MODULE_CONFIG = /\.m?js$/;

export interface ReadConfigFileOptions {
  readonly cwd: string;
  /** `--config FILE`, relative to `cwd` or absolute; it must exist. */
  readonly configPath?: string | undefined;
}

/** The file layer: its leaf entries, or none when no config file was found. */
export interface ConfigFileLayer {
  /** Absolute path of the file read, or null. */
  readonly file: string | null;
  /** The path as shown in messages, or null. */
  readonly label: string | null;
  readonly entries: ConfigEntry[];
  readonly warnings: string[];
}

/** Relative to the working folder when the file is inside it (`batchpilot.yaml`), else absolute. */
export function labelConfigFile(cwd: string, file: string): string {
  const relativePath = relative(cwd, file);
  return relativePath !== '' && !relativePath.startsWith('..') && !isAbsolute(relativePath) ? relativePath : file;
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

function errorCode(error: unknown): string {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : 'unknown error';
}

/**
 * Reads and parses one config file into its top-level mapping (empty file:
 * `{}`). CONFIG_UNREADABLE when it cannot be read or is not valid YAML (with
 * file:line:col); CONFIG_INVALID when its top level is not a mapping.
 */
export async function parseConfigFile(file: string, label: string): Promise<Record<string, unknown>> {
  if (MODULE_CONFIG.test(file)) return loadConfigModule(file, label);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = errorCode(error) === 'ENOENT' ? 'does not exist' : `cannot be read (${errorCode(error)})`;
    throw new ConfigError('CONFIG_UNREADABLE', `config file ${label} ${reason}`, {
      cause: error,
      context: { file },
    });
  }

  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, logLevel: 'silent' });
  const syntaxError = document.errors[0];
  if (syntaxError !== undefined) {
    const { line, col } = lineCounter.linePos(syntaxError.pos[0]);
    // Only the first line: YAML messages can go on to quote the file, which may hold a key.
    const reason = redactSecrets(syntaxError.message.split('\n')[0] ?? 'invalid YAML', []);
    throw new ConfigError('CONFIG_UNREADABLE', `${label}:${String(line)}:${String(col)}: invalid YAML: ${reason}`, {
      context: { file, line },
    });
  }

  let values: unknown;
  try {
    values = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new ConfigError('CONFIG_UNREADABLE', `${label}: invalid YAML (${String(error)})`, {
      cause: error,
      context: { file },
    });
  }
  if (values === null || values === undefined) return {};
  if (!isPlainObject(values)) {
    const kind = Array.isArray(values) ? 'a list' : `${typeof values} ${JSON.stringify(values)}`;
    throw new ConfigError(
      'CONFIG_INVALID',
      `${label}: the top level must be a mapping of keys such as "concurrency: 32", got ${redactSecrets(kind, [])}`,
      { context: { file } },
    );
  }
  return values;
}

/**
 * Finds and reads the config file: `--config FILE` if given (it must exist),
 * else the first of `DEFAULT_CONFIG_FILES` present in `cwd`.
 */
export async function readConfigFile(options: ReadConfigFileOptions): Promise<ConfigFileLayer> {
  const warnings: string[] = [];
  let file: string | undefined;
  if (options.configPath !== undefined) {
    file = resolve(options.cwd, options.configPath);
    if (!(await isFile(file))) {
      const label = labelConfigFile(options.cwd, file);
      throw new ConfigError(
        'CONFIG_UNREADABLE',
        `config file ${label} (from --config) does not exist or is not a file`,
        {
          context: { file, flag: '--config' },
        },
      );
    }
  } else {
    const present: string[] = [];
    for (const name of DEFAULT_CONFIG_FILES) {
      if (await isFile(join(options.cwd, name))) present.push(name);
    }
    if (present.length > 1) warnings.push(`both ${present.join(' and ')} exist; using ${String(present[0])}`);
    if (present[0] !== undefined) file = join(options.cwd, present[0]);
  }
  if (file === undefined) return { file: null, label: null, entries: [], warnings };

  const label = labelConfigFile(options.cwd, file);
  const values = await parseConfigFile(file, label);
  return { file, label, entries: flattenConfigObject(values, { kind: 'file', file, label }), warnings };
}

/**
 * A `.mjs`/`.js` config: imported, and its default export taken as the file's mapping. CONFIG_UNREADABLE when it
 * cannot be imported (missing, a syntax error, a throw at load); CONFIG_INVALID when the default export is not a
 * plain object.
 */
async function loadConfigModule(file: string, label: string): Promise<Record<string, unknown>> {
  let loaded: { default?: unknown };
  try {
    loaded = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (error) {
    const code = errorCode(error);
    const reason =
      code === 'ERR_MODULE_NOT_FOUND' && (error as Error).message.includes(file)
        ? 'does not exist'
        : `cannot be loaded: ${redactSecrets(String((error as Error).message ?? error).split('\n')[0] ?? '', [])}`;
    throw new ConfigError('CONFIG_UNREADABLE', `config file ${label} ${reason}`, { cause: error, context: { file } });
  }
  const values = loaded.default;
  if (!isPlainObject(values)) {
    const kind = values === undefined ? 'no default export' : Array.isArray(values) ? 'a list' : typeof values;
    throw new ConfigError(
      'CONFIG_INVALID',
      `${label}: the default export must be an object of keys such as { concurrency: 32 } (export default defineConfig({ ... })), got ${kind}`,
      { context: { file } },
    );
  }
  return values;
}
