/**
 * The value at a dotted path of a row (`critique.text`, `meta.culture`); undefined when the path leaves the row's
 * objects. A key that holds the dots itself (a CSV column named `meta.culture`) is read first.
 */
export function valueAtPath(row: Readonly<Record<string, unknown>>, path: string): unknown {
  if (Object.hasOwn(row, path)) return row[path];
  let node: unknown = row;
  for (const segment of path.split('.')) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}
