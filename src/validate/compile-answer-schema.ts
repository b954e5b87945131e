import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { ConfigError } from '../errors/config-error.ts';
import type { CheckIssue } from './answer-check.ts';
import { toJsonPointer } from './answer-path.ts';

/** Validates a parsed answer against the prompt's schema: the issues, each at its JSON pointer; none when it fits. */
export type AnswerSchema = (value: unknown) => CheckIssue[];

const DRAFT_2020_12 = 'https://json-schema.org/draft/2020-12/schema';
/** A schema that breaks everywhere would flood the stored check and the feedback message; the first ones are enough. */
const MAX_SCHEMA_ISSUES = 20;

/**
 * Compiles a prompt's JSON Schema once, as draft 2020-12 (ajv 8, every error, the `ajv-formats` formats). Unknown
 * keywords are let through (`strict: false`): schemas written for providers carry `description`-like extras. A
 * `$schema` naming another draft is dropped rather than refused: the keywords prompts use (`type`, `properties`,
 * `required`, `enum`, `items` as one schema, `minLength`, `minItems`) mean the same in draft 07 and 2020-12.
 */
export function compileAnswerSchema(schema: Record<string, unknown>, promptName: string): AnswerSchema {
  const ajv = sharedAjv();
  const { $schema, ...rest } = schema;
  const compiled = $schema === DRAFT_2020_12 ? schema : rest;
  const validate = (() => {
    try {
      return ajv.compile(compiled);
    } catch (error) {
      const key = `prompts.${promptName}.output.schema`;
      const problem = error instanceof Error ? error.message : String(error);
      throw new ConfigError('OUTPUT_SPEC_INVALID', `${key}: the JSON Schema does not compile: ${problem}`, {
        cause: error,
        context: { key },
      });
    } finally {
      // The validator keeps what it needs; the registry would only grow (a scheduler compiles each job's prompts)
      // and refuse a second prompt whose schema has the same `$id`.
      ajv.removeSchema(compiled);
    }
  })();
  return (value) => {
    if (validate(value)) return [];
    const issues = (validate.errors ?? []).map(toIssue);
    if (issues.length <= MAX_SCHEMA_ISSUES) return issues;
    const more = issues.length - MAX_SCHEMA_ISSUES;
    return [...issues.slice(0, MAX_SCHEMA_ISSUES), { path: '', message: `and ${more} more schema errors` }];
  };
}

let ajvInstance: Ajv2020 | undefined;

/**
 * One ajv for the process: its first compile validates the schema against the 2020-12 meta-schema, which costs
 * 40-70 ms per instance (measured) against under 1 ms for every compile after it.
 */
function sharedAjv(): Ajv2020 {
  if (ajvInstance === undefined) {
    ajvInstance = new Ajv2020({ allErrors: true, strict: false });
    addFormats.default(ajvInstance);
  }
  return ajvInstance;
}

/** ajv's error at the place a reader fixes it: a missing or extra property is named in the path, not its parent. */
function toIssue(error: ErrorObject): CheckIssue {
  const params = error.params as Record<string, unknown>;
  const message = error.message ?? error.keyword;
  if (error.keyword === 'required' && typeof params['missingProperty'] === 'string') {
    return { path: childPath(error.instancePath, params['missingProperty']), message: 'is required' };
  }
  if (error.keyword === 'additionalProperties' && typeof params['additionalProperty'] === 'string') {
    return { path: childPath(error.instancePath, params['additionalProperty']), message: 'is not allowed' };
  }
  if (error.keyword === 'enum' && Array.isArray(params['allowedValues'])) {
    const allowed = params['allowedValues'].map((value) => JSON.stringify(value)).join(', ');
    return { path: error.instancePath, message: `must be one of ${allowed}` };
  }
  return { path: error.instancePath, message };
}

function childPath(parent: string, property: string): string {
  return `${parent}${toJsonPointer([property])}`;
}
