import type { z } from 'zod';
import { ConfigError, type ErrorContext } from '../errors/index.ts';
import { redactSecrets } from '../util/redact.ts';
import { configSchema } from './config-schema.ts';
import { describeConfigSource, type ConfigSource } from './config-source.ts';
import type { MergedConfig } from './merge-config-layers.ts';
import { describeExpected, describeRange, enumValues, keysAt, schemaAt } from './schema-shape.ts';
import { suggestClosest } from './suggest-closest.ts';

/**
 * Turns zod issues into one line each that names the key, where its value came
 * from and the fix (STYLE guideline 7), in the manner of p-queue's
 * "Expected `concurrency` to be a number from 1 and up, got ...":
 *
 *   batchpilot.yaml: unknown key "concurency" (did you mean "concurrency"?)
 *   batchpilot.yaml: key "request.temperature" expected a number from 0 to 2, got "0.6" (string); write it without quotes
 *   batchpilot.yaml: key "concurrency" must be from 1 to 1024, got -4
 *   flag --concurrency expected an integer from 1 to 1024, got "abc"
 *   environment variable BATCHPILOT_RATE_LIMIT__RMP: unknown key "rate_limit.rmp" (did you mean BATCHPILOT_RATE_LIMIT__RPM?)
 */

/** One line of a CONFIG_INVALID error, with the context of the place to fix. */
export interface ConfigProblem {
  readonly message: string;
  readonly key: string;
  readonly file?: string;
  readonly flag?: string;
}

export interface FormatConfigIssuesOptions {
  readonly merged: Pick<MergedConfig, 'sourceAt' | 'valueAt'>;
  /** Names the config when the value is a default (no source): the config file's label, or `config`. */
  readonly fallbackLabel: string;
  readonly fallbackFile?: string | undefined;
}

/** Values of these keys may be secrets and are never quoted back. */
function isHiddenPath(path: readonly string[]): boolean {
  // A webhook sink's headers carry tokens (`sinks.N.headers.Authorization`).
  return path[0] === 'api_key' || (path[0] === 'sinks' && path[2] === 'headers');
}

const HIDDEN = '(value not shown)';
const MAX_SHOWN = 80;

function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? typeof value;
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}...` : text;
}

function typeName(value: unknown): string {
  if (value === null) return 'null, an empty value';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return 'mapping';
  return typeof value;
}

/** For type errors: `"0.6" (string)`, so a quoted number is visibly a string. */
function showTypedValue(value: unknown): string {
  return `${showValue(value)} (${typeName(value)})`;
}

function quoteHint(expected: string, value: unknown): string {
  if (typeof value !== 'string') return '';
  const text = value.trim();
  const isNumberText = text !== '' && Number.isFinite(Number(text));
  if ((expected.startsWith('a number') || expected.startsWith('an integer')) && isNumberText) {
    return '; write it without quotes';
  }
  if (expected === 'true or false' && (text === 'true' || text === 'false')) return '; write it without quotes';
  return '';
}

function enumHint(value: unknown, allowed: readonly string[]): string {
  const closest = typeof value === 'string' ? suggestClosest(value, allowed) : undefined;
  return closest === undefined ? '' : ` (did you mean "${closest}"?)`;
}

/** What is wrong with the value, as the end of a sentence starting with `key "x"`. */
function describeProblem(issue: z.core.$ZodIssue, path: readonly string[], value: unknown, hidden: boolean): string {
  const leaf = schemaAt(configSchema, path);
  const expected = describeExpected(leaf);
  const shown = hidden ? HIDDEN : showValue(value);
  switch (issue.code) {
    case 'invalid_type':
    case 'invalid_union':
      if (value === undefined) return `is required: set it to ${expected}`;
      return `expected ${expected}, got ${hidden ? HIDDEN : showTypedValue(value)}${hidden ? '' : quoteHint(expected, value)}`;
    case 'too_small':
    case 'too_big': {
      if (typeof value === 'string') return issue.code === 'too_small' ? 'must not be empty' : 'is too long';
      const bound =
        issue.code === 'too_small' ? `at least ${String(issue.minimum)}` : `at most ${String(issue.maximum)}`;
      return `must be ${(leaf === undefined ? undefined : describeRange(leaf)) ?? bound}, got ${shown}`;
    }
    case 'invalid_value': {
      const allowed = (leaf === undefined ? undefined : enumValues(leaf)) ?? issue.values.map(String);
      const list = allowed.map((item) => JSON.stringify(item)).join(', ');
      return `must be one of ${list}, got ${shown}${hidden ? '' : enumHint(value, allowed)}`;
    }
    case 'invalid_format':
      return `must be ${expected}, got ${shown}`;
    case 'custom':
      return value === undefined ? issue.message : `${issue.message}, got ${shown}`;
    default:
      return `is not valid (${issue.message})`;
  }
}

/** The error context of a problem: its key, and the file or flag to fix. */
function contextOf(
  source: ConfigSource | undefined,
  key: string,
  options: FormatConfigIssuesOptions,
): Omit<ConfigProblem, 'message'> {
  if (source?.kind === 'file') return { key, file: source.file };
  if (source?.kind === 'flag') return { key, flag: source.flag };
  if (source === undefined && options.fallbackFile !== undefined) return { key, file: options.fallbackFile };
  return { key };
}

function formatUnknownKey(parent: readonly string[], key: string, options: FormatConfigIssuesOptions): ConfigProblem {
  const path = [...parent, key];
  const dotted = path.join('.');
  const source = options.merged.sourceAt(path);
  const allowed = keysAt(configSchema, parent) ?? [];
  const closest = suggestClosest(key, allowed);
  let fix: string;
  if (closest === undefined) {
    fix = `; known keys${parent.length === 0 ? '' : ` under "${parent.join('.')}"`}: ${allowed.join(', ')}`;
  } else if (source?.kind === 'env') {
    fix = ` (did you mean BATCHPILOT_${[...parent, closest].map((segment) => segment.toUpperCase()).join('__')}?)`;
  } else {
    fix = ` (did you mean "${[...parent, closest].join('.')}"?)`;
  }
  const label = source === undefined ? options.fallbackLabel : describeConfigSource(source);
  return { ...contextOf(source, dotted, options), message: `${label}: unknown key "${dotted}"${fix}` };
}

function formatValueIssue(issue: z.core.$ZodIssue, options: FormatConfigIssuesOptions): ConfigProblem {
  const path = issue.path.map(String);
  const dotted = path.join('.');
  const source = options.merged.sourceAt(path);
  const value = options.merged.valueAt(path);
  const hidden = isHiddenPath(path);
  const context = contextOf(source, dotted, options);
  if ((source?.kind === 'env' || source?.kind === 'flag') && source.key === dotted) {
    // The user typed exactly this value: quote it back as typed, p-queue style.
    const typed = hidden ? HIDDEN : JSON.stringify(source.text);
    const label = describeConfigSource(source);
    if (issue.code === 'custom') return { ...context, message: `${label} ${issue.message}, got ${typed}` };
    const leaf = schemaAt(configSchema, path);
    const allowed = leaf === undefined ? undefined : enumValues(leaf);
    const hint = allowed !== undefined && !hidden ? enumHint(value, allowed) : '';
    return { ...context, message: `${label} expected ${describeExpected(leaf)}, got ${typed}${hint}` };
  }
  const label = source === undefined ? options.fallbackLabel : describeConfigSource(source);
  const subject = source === undefined ? `key "${dotted}" (default value)` : `key "${dotted}"`;
  return { ...context, message: `${label}: ${subject} ${describeProblem(issue, path, value, hidden)}` };
}

/** One problem per issue, and one per unknown key of an `unrecognized_keys` issue. */
export function formatConfigIssues(
  issues: readonly z.core.$ZodIssue[],
  options: FormatConfigIssuesOptions,
): ConfigProblem[] {
  return issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => formatUnknownKey(issue.path.map(String), key, options))
      : [formatValueIssue(issue, options)],
  );
}

/** The one required value with no default, checked outside the schema because `--simulate` lifts it. */
export function formatMissingBaseUrl(fileLabel: string, file: string | undefined): ConfigProblem {
  const message =
    `no base_url set: add "base_url: https://.../v1" to ${fileLabel}, set BATCHPILOT_BASE_URL, ` +
    'pass --base-url, or use --simulate';
  return file === undefined ? { message, key: 'base_url' } : { message, key: 'base_url', file };
}

/** The CONFIG_INVALID error: every problem on its own line, context from the first, secrets masked. */
export function createConfigError(problems: readonly ConfigProblem[], secrets: readonly string[]): ConfigError {
  const message = problems.map((problem) => redactSecrets(problem.message, secrets)).join('\n');
  const first = problems[0];
  const context: ErrorContext = {};
  if (first !== undefined) {
    context.key = first.key;
    if (first.file !== undefined) context.file = first.file;
    if (first.flag !== undefined) context.flag = first.flag;
  }
  return new ConfigError('CONFIG_INVALID', message, { context });
}
