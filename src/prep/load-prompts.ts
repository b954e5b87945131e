import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { configSchema } from '../config/config-schema.ts';
import { labelConfigFile } from '../config/read-config-file.ts';
import { keysAt } from '../config/schema-shape.ts';
import { ConfigError } from '../errors/index.ts';
import { checkWhenExpression } from './check-when-expression.ts';
import { createYamlLocator, type LocateKey } from './create-yaml-locator.ts';
import {
  DEFAULT_CUSTOM_ID_FORMAT,
  DEFAULT_REASK,
  promptsFileSchema,
  type OutputCheck,
  type PromptEntry,
  type PromptSet,
  type PromptSpec,
  type PromptsFile,
} from './prompt-spec.ts';

export interface PromptSource {
  /** Absolute path of the file the prompts come from (a prompts file, or the config with a `prompts:` section). */
  file: string;
  /** The file as shown in messages. */
  label: string;
  /** Keys of the section inside that file (`['prompts']` for the config's section): prefixed to every key named. */
  keyPrefix?: readonly string[];
  locate?: LocateKey;
}

/**
 * Reads a prompts file (YAML: `defaults`, `custom_id`, `prompts`) and resolves it: see `resolvePromptSet`.
 * CONFIG_UNREADABLE when it cannot be read or parsed, CONFIG_INVALID when a key is wrong; both name the file and line.
 */
export async function loadPromptsFile(file: string, cwd: string = process.cwd()): Promise<PromptSet> {
  const path = resolve(cwd, file);
  const label = labelConfigFile(cwd, path);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      'CONFIG_UNREADABLE',
      `prompts file ${label} cannot be read (${codeOf(error)}); check --prompts`,
      {
        cause: error,
        context: { file: path, flag: '--prompts' },
      },
    );
  }
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, logLevel: 'silent' });
  const syntaxError = document.errors[0];
  if (syntaxError !== undefined) {
    const { line, col } = lineCounter.linePos(syntaxError.pos[0]);
    const reason = syntaxError.message.split('\n')[0] ?? 'invalid YAML';
    throw new ConfigError('CONFIG_UNREADABLE', `${label}:${String(line)}:${String(col)}: invalid YAML: ${reason}`, {
      context: { file: path, line },
    });
  }
  const values: unknown = document.toJS({ maxAliasCount: 100 });
  return resolvePromptSet(values, { file: path, label, locate: createYamlLocator(document, lineCounter) });
}

/**
 * Validates a prompts object and resolves it into a `PromptSet`: defaults merged into each prompt (`request` key by
 * key), template and schema files read relative to the source file, every schema compiled once by ajv to check it is
 * a valid JSON Schema. Errors are ConfigErrors naming the file, line (when known) and key.
 */
export async function resolvePromptSet(values: unknown, source: PromptSource): Promise<PromptSet> {
  const parsed = promptsFileSchema.safeParse(values ?? {});
  if (!parsed.success) throw invalidError(parsed.error.issues, source);
  const file: PromptsFile = parsed.data;
  const customIdFormat = file.custom_id ?? DEFAULT_CUSTOM_ID_FORMAT;
  checkCustomIdFormat(customIdFormat, source);
  const names = Object.keys(file.prompts);
  if (names.length === 0) {
    throw problem('CONFIG_INVALID', source, ['prompts'], 'names no prompt; add at least one under prompts:');
  }
  const prompts: PromptSpec[] = [];
  for (const name of names) {
    prompts.push(await resolvePrompt(name, file.prompts[name] as PromptEntry, file.defaults ?? {}, source));
  }
  const hash = createHash('sha256')
    .update(
      JSON.stringify({ customIdFormat, prompts: prompts.map(({ templateFile: _t, ...rest }) => stripFile(rest)) }),
    )
    .digest('hex');
  return { prompts, customIdFormat, sourceFile: source.file, hash };
}

function stripFile(prompt: Omit<PromptSpec, 'templateFile'>): unknown {
  const { schemaFile: _s, ...output } = prompt.output;
  return { ...prompt, output };
}

async function resolvePrompt(
  name: string,
  entry: PromptEntry,
  defaults: NonNullable<PromptsFile['defaults']>,
  source: PromptSource,
): Promise<PromptSpec> {
  const base = dirname(source.file);
  const at = ['prompts', name];
  if ((entry.template === undefined) === (entry.text === undefined)) {
    throw problem('CONFIG_INVALID', source, at, 'needs exactly one of template: (a file) or text: (inline)');
  }
  let template: string;
  let templateFile: string;
  if (entry.template !== undefined) {
    templateFile = resolve(base, entry.template);
    template = await readSourceFile(templateFile, source, [...at, 'template'], 'template');
  } else {
    template = entry.text ?? '';
    templateFile = `${source.file}#${name}`;
  }
  if (entry.when !== undefined) {
    const malformed = checkWhenExpression(entry.when);
    if (malformed !== null) {
      throw problem(
        'CONFIG_INVALID',
        source,
        [...at, 'when'],
        `${JSON.stringify(entry.when)} is malformed: ${malformed}`,
      );
    }
  }
  const output = { ...defaults.output, ...entry.output };
  let schema: Record<string, unknown> | undefined;
  let schemaFile: string | undefined;
  if (output.schema !== undefined) {
    schemaFile = resolve(base, output.schema);
    schema = await readSchema(schemaFile, source, [...at, 'output', 'schema']);
  }
  const format = output.format ?? (schema === undefined ? 'text' : 'json');
  if (format === 'text' && schema !== undefined) {
    throw problem(
      'CONFIG_INVALID',
      source,
      [...at, 'output', 'format'],
      'is text but a schema is given; set format: json',
    );
  }
  checkNoChoices(entry, defaults, name, source);
  const system = entry.system ?? defaults.system;
  const model = entry.model ?? defaults.model;
  return {
    name,
    ...(system === undefined ? {} : { system }),
    template,
    templateFile,
    ...(entry.when === undefined ? {} : { when: entry.when }),
    samples: entry.samples ?? defaults.samples ?? 1,
    ...(model === undefined ? {} : { model }),
    request: { ...defaults.request, ...entry.request },
    output: {
      format,
      ...(schema === undefined ? {} : { schema }),
      ...(schemaFile === undefined ? {} : { schemaFile }),
      checks: (output.checks ?? []) as OutputCheck[],
      mode: output.mode ?? 'provider',
    },
    reask: {
      max: entry.reask?.max ?? defaults.reask?.max ?? DEFAULT_REASK.max,
      invalid: entry.reask?.invalid ?? defaults.reask?.invalid ?? DEFAULT_REASK.invalid,
      truncated_max_tokens:
        entry.reask?.truncated_max_tokens ?? defaults.reask?.truncated_max_tokens ?? DEFAULT_REASK.truncated_max_tokens,
      refused: entry.reask?.refused ?? defaults.reask?.refused ?? DEFAULT_REASK.refused,
    },
  };
}

/**
 * A prompt's `request` may not set `n` above 1 (decision 0016): an item's answer is read from choice 0, so the other
 * choices would be paid for and lost, never checked, re-asked or joined back. `samples: k` is the way to k answers.
 */
function checkNoChoices(
  entry: PromptEntry,
  defaults: NonNullable<PromptsFile['defaults']>,
  name: string,
  source: PromptSource,
): void {
  const own = entry.request?.['n'];
  const at = own !== undefined ? ['prompts', name, 'request', 'n'] : ['defaults', 'request', 'n'];
  const n = own ?? defaults.request?.['n'];
  if (n === undefined || n === null || n === 1) return;
  throw problem(
    'CONFIG_INVALID',
    source,
    at,
    `sets n: ${JSON.stringify(n)} for prompt "${name}", but an item's answer is read from choice 0 and the other choices would be lost; remove n and set samples: ${typeof n === 'number' && Number.isInteger(n) && n > 1 ? String(n) : 'k'} (one request per sample, each checked and re-asked on its own)`,
  );
}

async function readSourceFile(file: string, source: PromptSource, at: string[], what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw problem(
      'CONFIG_UNREADABLE',
      source,
      at,
      `names ${what} file ${file}, which cannot be read (${codeOf(error)})`,
    );
  }
}

/** Reads a JSON Schema and compiles it once (draft 2020-12, or draft-07 when its `$schema` says so). */
async function readSchema(file: string, source: PromptSource, at: string[]): Promise<Record<string, unknown>> {
  const text = await readSourceFile(file, source, at, 'schema');
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(
      'CONFIG_UNREADABLE',
      `schema file ${file} (${where(source, at)}) is not valid JSON: ${(error as Error).message}`,
      { context: contextOf(source, at, file) },
    );
  }
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
    throw new ConfigError(
      'CONFIG_INVALID',
      `schema file ${file} (${where(source, at)}) must hold a JSON Schema object`,
      {
        context: contextOf(source, at, file),
      },
    );
  }
  const record = schema as Record<string, unknown>;
  const draft07 = typeof record['$schema'] === 'string' && record['$schema'].includes('draft-07');
  const ajv = draft07 ? (draft07Ajv ??= new Ajv(AJV_OPTIONS)) : (draft2020Ajv ??= new Ajv2020(AJV_OPTIONS));
  try {
    ajv.compile(record);
  } catch (error) {
    throw new ConfigError(
      'CONFIG_INVALID',
      `schema file ${file} (${where(source, at)}) is not a valid JSON Schema: ${(error as Error).message}`,
      { context: contextOf(source, at, file) },
    );
  } finally {
    // Only the check is wanted: the registry would grow and refuse the next schema with the same `$id`.
    ajv.removeSchema(record);
  }
  return record;
}

const AJV_OPTIONS = { strict: false, logger: false } as const;
/**
 * One ajv per draft for the process, made on first use: a new one compiles the meta-schema first, about 100 ms per
 * schema file (measured: 5 schema files 570 ms), where a compile after it takes under 1 ms.
 */
let draft07Ajv: Ajv | undefined;
let draft2020Ajv: Ajv2020 | undefined;

function checkCustomIdFormat(format: string, source: PromptSource): void {
  const unknown = [...format.matchAll(/\{([^}]*)\}/g)]
    .map((match) => match[1])
    .filter((name) => name !== 'prompt' && name !== 'index' && name !== 'key');
  if (unknown.length > 0 || !format.includes('{prompt}') || !(format.includes('{index}') || format.includes('{key}'))) {
    throw problem(
      'CONFIG_INVALID',
      source,
      ['custom_id'],
      `must hold {prompt} and {index} or {key} (and no other {placeholder}), got ${JSON.stringify(format)}`,
    );
  }
}

function invalidError(issues: readonly z.core.$ZodIssue[], source: PromptSource): ConfigError {
  const lines = issues.map((issue) => {
    const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] ?? ''] : issue.path;
    const message =
      issue.code === 'unrecognized_keys'
        ? `is not a known key (known: ${knownKeys(issue.path)})${configHint(issue.path, issue.keys[0])}`
        : issue.message;
    return { path, text: `${where(source, path)}: ${message}` };
  });
  const first = lines[0];
  return new ConfigError('CONFIG_INVALID', lines.map((line) => line.text).join('\n'), {
    context: first === undefined ? { file: source.file } : contextOf(source, first.path),
  });
}

/** A top-level key of the config file (`integrate:`, `data:`, ...) put in a prompts file: where it goes instead. */
function configHint(path: readonly PropertyKey[], key: string | undefined): string {
  if (path.length > 0 || key === undefined || !(keysAt(configSchema, []) ?? []).includes(key)) return '';
  const set = keysAt(configSchema, [key]) === undefined ? `${key}=VALUE` : `${key}.NAME=VALUE`;
  return `; "${key}" is a setting of the config file (batchpilot.yaml, or --config FILE), or --set ${set}`;
}

function knownKeys(path: readonly PropertyKey[]): string {
  const last = path.at(-1);
  if (path.length === 0) return 'defaults, custom_id, prompts';
  if (last === 'output') return 'format, schema, checks, mode';
  if (last === 'reask') return 'max, invalid, truncated_max_tokens, refused';
  if (path.includes('checks')) return 'path, min_length, min_items, covers, required';
  if (last === 'defaults') return 'system, model, request, samples, output, reask';
  return 'system, template, text, when, samples, model, request, output, reask';
}

function problem(
  code: 'CONFIG_INVALID' | 'CONFIG_UNREADABLE',
  source: PromptSource,
  path: readonly PropertyKey[],
  message: string,
): ConfigError {
  return new ConfigError(code, `${where(source, path)}: ${message}`, { context: contextOf(source, path) });
}

/** `prompts.yaml:12: key "prompts.topic.samples"`. */
function where(source: PromptSource, path: readonly PropertyKey[]): string {
  const line = source.locate?.(path);
  return `${source.label}${line === undefined ? '' : `:${String(line)}`}: key "${keyOf(source, path)}"`;
}

function keyOf(source: PromptSource, path: readonly PropertyKey[]): string {
  return [...(source.keyPrefix ?? []), ...path.map(String)].join('.');
}

function contextOf(
  source: PromptSource,
  path: readonly PropertyKey[],
  file?: string,
): { file: string; line?: number; key: string } {
  const line = source.locate?.(path);
  return { file: file ?? source.file, ...(line === undefined ? {} : { line }), key: keyOf(source, path) };
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOENT' ? 'no such file' : typeof code === 'string' ? code : String(error);
}
