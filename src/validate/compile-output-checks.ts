import { ConfigError } from '../errors/config-error.ts';
import type { OutputCheck } from '../prep/prompt-spec.ts';
import type { CheckIssue } from './answer-check.ts';
import { parseAnswerPath, readAtPath, toJsonPointer } from './answer-path.ts';

/** Missing values a `covers` issue names; the count says how many more. */
const MAX_LISTED = 20;

/** Runs a prompt's semantic checks on a parsed answer; `row` is the source row (`covers: "row.field"`). */
export type OutputChecks = (value: unknown, row: Record<string, unknown> | undefined) => CheckIssue[];

/**
 * The checks beyond the schema (decision 0017), made once per prompt; a malformed check is an `OUTPUT_SPEC_INVALID`
 * naming the prompt and the check, before anything is sent.
 *
 * - `min_length`: a string of at least N characters, counted in code points (a Chinese character is one, an emoji
 *   one), as written: no trimming.
 * - `min_items`: an array of at least N items.
 * - `covers: "row.field"`: every value the row lists there appears in the array at `path` (as an item, or as a field
 *   value of an item that is an object), or among its keys when it is an object; compared as trimmed, NFC-normalised, lower-cased text. The row's field is an array, a JSON array
 *   in a string, or a comma-separated string (what a CSV column holds).
 * - `required`: present and not empty (not null, not blank text, not `[]` or `{}`).
 */
export function compileOutputChecks(checks: readonly OutputCheck[], promptName: string): OutputChecks {
  const compiled = checks.map((check, index) => compileCheck(check, `prompts.${promptName}.output.checks[${index}]`));
  return (value, row) => compiled.flatMap((run) => run(value, row));
}

function compileCheck(check: OutputCheck, key: string): OutputChecks {
  if (typeof check.path !== 'string') throw invalid(key, '`path` must be text (e.g. `critique` or `/a/0/b`)');
  const segments = parseAnswerPath(check.path);
  const pointer = toJsonPointer(segments);
  const runs: OutputChecks[] = [];
  if (check.required === true) {
    runs.push((value) =>
      isEmptyValue(readAtPath(value, segments)) ? [{ path: pointer, message: 'is required' }] : [],
    );
  }
  if (check.min_length !== undefined) {
    const minimum = positiveInteger(check.min_length, key, 'min_length');
    runs.push((value) => checkMinLength(readAtPath(value, segments), minimum, pointer));
  }
  if (check.min_items !== undefined) {
    const minimum = positiveInteger(check.min_items, key, 'min_items');
    runs.push((value) => checkMinItems(readAtPath(value, segments), minimum, pointer));
  }
  if (check.covers !== undefined) {
    if (typeof check.covers !== 'string' || !/^row\.[^.]/.test(check.covers)) {
      throw invalid(key, '`covers` names a field of the row, e.g. `covers: "row.required_dimensions"`');
    }
    const field = check.covers.slice('row.'.length).split('.');
    runs.push((value, row) => checkCovers(readAtPath(value, segments), readAtPath(row, field), check.covers!, pointer));
  }
  return (value, row) => runs.flatMap((run) => run(value, row));
}

function checkMinLength(found: unknown, minimum: number, path: string): CheckIssue[] {
  if (found === undefined || found === null)
    return [{ path, message: `is missing (needs at least ${minimum} characters)` }];
  if (typeof found !== 'string') return [{ path, message: `must be text of at least ${minimum} characters` }];
  const length = countCharacters(found);
  return length >= minimum ? [] : [{ path, message: `must have at least ${minimum} characters, has ${length}` }];
}

function checkMinItems(found: unknown, minimum: number, path: string): CheckIssue[] {
  if (found === undefined || found === null) return [{ path, message: `is missing (needs at least ${minimum} items)` }];
  if (!Array.isArray(found)) return [{ path, message: `must be an array of at least ${minimum} items` }];
  return found.length >= minimum ? [] : [{ path, message: `must have at least ${minimum} items, has ${found.length}` }];
}

function checkCovers(found: unknown, listed: unknown, reference: string, path: string): CheckIssue[] {
  const wanted = toValueList(listed);
  if (wanted === undefined) return [{ path, message: `cannot be checked: ${reference} is missing from the row` }];
  let present: unknown[];
  if (Array.isArray(found)) present = found;
  else if (typeof found === 'object' && found !== null) present = Object.keys(found);
  else return [{ path, message: `must be an array (or object) covering ${reference}` }];
  // An item that is an object (`{"dimension": "composition", "comment": ...}`) covers the values of its scalar fields.
  const have = new Set(
    present
      .flatMap((item) => (isScalar(item) ? [item] : isRecord(item) ? Object.values(item).filter(isScalar) : []))
      .map((item) => normalize(String(item))),
  );
  const missing = wanted.filter((item) => !have.has(normalize(item)));
  if (missing.length === 0) return [];
  const named = missing.slice(0, MAX_LISTED).map((item) => JSON.stringify(item));
  const shown =
    missing.length > MAX_LISTED ? `${named.join(', ')} and ${missing.length - MAX_LISTED} more` : named.join(', ');
  return [{ path, message: `misses ${missing.length} of the ${wanted.length} values of ${reference}: ${shown}` }];
}

function toValueList(listed: unknown): string[] | undefined {
  if (Array.isArray(listed)) return listed.filter(isScalar).map(String);
  if (typeof listed !== 'string') return isScalar(listed) ? [String(listed)] : undefined;
  const text = listed.trim();
  if (text.startsWith('[')) {
    try {
      const parsed = JSON.parse(text) as unknown;
      if (Array.isArray(parsed)) return parsed.filter(isScalar).map(String);
    } catch {
      // Not a JSON array: read as a comma-separated list.
    }
  }
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** Characters as people count them in most scripts: code points, so `'批评'` is 2 and `'😀'` is 1 (not 2 UTF-16 units). */
function countCharacters(text: string): number {
  let count = 0;
  for (const _character of text) count += 1;
  return count;
}

function isEmptyValue(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value === 'string') return value.trim() === '';
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function normalize(text: string): string {
  return text.trim().normalize('NFC').toLowerCase();
}

function positiveInteger(value: unknown, key: string, name: string): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  throw invalid(`${key}.${name}`, `\`${name}\` must be a whole number from 0 up, got ${JSON.stringify(value)}`);
}

function invalid(key: string, problem: string): ConfigError {
  return new ConfigError('OUTPUT_SPEC_INVALID', `${key}: ${problem}`, { context: { key } });
}
