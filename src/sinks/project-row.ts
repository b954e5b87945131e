/** The value at a dotted path of a row (`critique.text`); undefined when the path leaves the row's objects. */
export function valueAtPath(row: Readonly<Record<string, unknown>>, path: string): unknown {
  if (Object.hasOwn(row, path)) return row[path];
  let node: unknown = row;
  for (const segment of path.split('.')) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

/** A sink's projection (`fields`) of a row: the listed fields only, in their order, named as written. */
export function projectRow(
  row: Readonly<Record<string, unknown>>,
  fields: readonly string[] | undefined,
): Readonly<Record<string, unknown>> {
  if (fields === undefined) return row;
  return Object.fromEntries(fields.map((field) => [field, valueAtPath(row, field) ?? null]));
}
