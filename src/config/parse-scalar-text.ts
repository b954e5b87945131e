import { parse } from 'yaml';
import type { z } from 'zod';
import { isTextSchema } from './schema-shape.ts';

/**
 * Reads an environment variable or `--set` value as a YAML scalar, so `32` is
 * a number and `true` a boolean, as it would be in the file. Two exceptions
 * keep values as typed: keys whose schema is text (`model: 1.5` stays the
 * string "1.5"), and text that YAML would read as a mapping or list without
 * the user writing `{`/`[` (a URL-like `a: b`, or `- x`).
 */
export function parseScalarText(text: string, schema: z.core.$ZodType | undefined): unknown {
  if (isTextSchema(schema)) return text;
  if (text.trim() === '') return text;
  let value: unknown;
  try {
    value = parse(text, { logLevel: 'silent' });
  } catch {
    return text;
  }
  if (value !== null && typeof value === 'object' && !/^\s*[[{]/.test(text)) return text;
  return value;
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * For typed flags (`--concurrency 8`): only plain decimal text becomes a
 * number; anything else (`abc`, `0x10`) stays text and the schema reports it
 * as typed.
 */
export function parseFlagNumber(text: string): number | string {
  const trimmed = text.trim();
  return DECIMAL.test(trimmed) ? Number(trimmed) : text;
}
