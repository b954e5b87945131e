import type * as z from 'zod';

import { describeJsonType } from './describe-json-type.ts';

const NOUNS: Record<string, string> = { record: 'object', custom: 'object' };
const PREVIEW_MAX_CHARS = 60;

/**
 * Turn schema issues on an input line into one short reason naming the field and what it must
 * be, e.g. `"custom_id" must be a string, got number` or `missing "messages" array`.
 * `root` is the parsed line, to say what was found instead.
 */
export function formatSchemaIssues(issues: readonly z.core.$ZodIssue[], root: unknown, maxIssues = 3): string {
  const reasons = issues.slice(0, maxIssues).map((issue) => formatSchemaIssue(issue, root));
  if (issues.length > maxIssues) reasons.push(`${issues.length - maxIssues} more`);
  return reasons.join('; ');
}

function formatSchemaIssue(issue: z.core.$ZodIssue, root: unknown): string {
  const field = formatPath(issue.path);
  const value = valueAt(root, issue.path);
  switch (issue.code) {
    case 'invalid_type': {
      const noun = NOUNS[issue.expected] ?? issue.expected;
      if (value === undefined) return `missing ${field} ${noun}`;
      return `${field} must be ${withArticle(noun)}, got ${describeJsonType(value)}`;
    }
    case 'custom': {
      const expected = (issue.params as { expected?: string } | undefined)?.expected;
      if (expected === undefined) return `${field}: ${issue.message}`;
      if (value === undefined) return `missing ${field} ${expected}`;
      return `${field} must be ${withArticle(expected)}, got ${describeJsonType(value)}`;
    }
    case 'too_small':
      if (Number(issue.minimum) === 1) return `${field} must not be empty`;
      return `${field} is too short: at least ${String(issue.minimum)} needed`;
    case 'too_big':
      if (issue.origin === 'string' && typeof value === 'string') {
        return `${field} is ${value.length} characters, over the ${String(issue.maximum)}-character limit`;
      }
      return `${field} is too long: at most ${String(issue.maximum)} allowed`;
    case 'invalid_value': {
      const allowed = issue.values.map((allowedValue) => JSON.stringify(allowedValue)).join(' or ');
      return `${field} must be ${allowed}, got ${previewValue(value)}`;
    }
    default:
      return `${field}: ${issue.message}`;
  }
}

/** `["messages", 2, "role"]` -> `"messages[2].role"`; the empty path is the line itself. */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'line';
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? String(segment) : `.${String(segment)}`;
  }
  return `"${text}"`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null || typeof segment === 'symbol') return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}

function previewValue(value: unknown): string {
  if (typeof value !== 'string') return describeJsonType(value);
  const quoted = JSON.stringify(value);
  return quoted.length <= PREVIEW_MAX_CHARS ? quoted : `${quoted.slice(0, PREVIEW_MAX_CHARS)}..."`;
}

function withArticle(noun: string): string {
  return /^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`;
}
