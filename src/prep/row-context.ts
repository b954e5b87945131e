import type { PromptSet } from './prompt-spec.ts';

/**
 * The row fields a prompt set's `covers: "row.field"` checks read (each as its path segments), once per field: what
 * prepare keeps of each row in the manifest (`ManifestRow.context`), so answers can be checked against them later
 * without the data file.
 */
export function coveredRowFields(set: PromptSet): string[][] {
  const fields = new Map<string, string[]>();
  for (const prompt of set.prompts) {
    for (const check of prompt.output.checks) {
      if (check.covers === undefined || !check.covers.startsWith('row.')) continue;
      const path = check.covers.slice('row.'.length);
      fields.set(path, path.split('.'));
    }
  }
  return [...fields.values()];
}

/** The part of `row` at `fields`, nested as in the row; undefined when none of them is there. */
export function pickRowContext(
  row: Readonly<Record<string, unknown>>,
  fields: readonly (readonly string[])[],
): Record<string, unknown> | undefined {
  let context: Record<string, unknown> | undefined;
  for (const segments of fields) {
    let value: unknown = row;
    for (const segment of segments) {
      value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[segment] : undefined;
    }
    if (value === undefined) continue;
    context ??= {};
    let target = context;
    segments.slice(0, -1).forEach((segment) => {
      const next = target[segment];
      target[segment] = next !== null && typeof next === 'object' ? next : {};
      target = target[segment] as Record<string, unknown>;
    });
    target[segments[segments.length - 1] as string] = value;
  }
  return context;
}
