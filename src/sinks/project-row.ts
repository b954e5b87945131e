import { valueAtPath } from '../util/value-at-path.ts';

/** A sink's projection (`fields`) of a row: the listed fields only, in their order, named as written. */
export function projectRow(
  row: Readonly<Record<string, unknown>>,
  fields: readonly string[] | undefined,
): Readonly<Record<string, unknown>> {
  if (fields === undefined) return row;
  return Object.fromEntries(fields.map((field) => [field, valueAtPath(row, field) ?? null]));
}
