import { PLACEHOLDER } from '../../input/parse-command-task.ts';

/** Values the provider supplies itself (`BUILT_IN_PLACEHOLDERS`); they win over task fields of the same name. */
export interface BuiltInPlaceholders {
  custom_id: string;
  output_path: string;
  attempt: number;
}

export type FilledArgv = { ok: true; argv: string[] } | { ok: false; missing: string };

/**
 * Fills a target's argv template from a task. Each argument is filled on its own and stays one argument (no shell,
 * no word splitting), so `"--size={size}"` and `"{custom_id}.png"` work. Values: strings as they are, numbers and
 * booleans as their text, objects and arrays as JSON. A placeholder whose field is absent or null is `missing`.
 */
export function fillArgvTemplate(
  template: readonly string[],
  fields: Readonly<Record<string, unknown>>,
  builtIns: BuiltInPlaceholders,
): FilledArgv {
  const argv: string[] = [];
  let missing: string | undefined;
  for (const argument of template) {
    argv.push(
      argument.replace(PLACEHOLDER, (placeholder, name: string) => {
        const value = Object.hasOwn(builtIns, name) ? builtIns[name as keyof BuiltInPlaceholders] : fields[name];
        const text = formatPlaceholderValue(value);
        if (text === undefined) missing ??= name;
        return text ?? placeholder;
      }),
    );
  }
  return missing === undefined ? { ok: true, argv } : { ok: false, missing };
}

function formatPlaceholderValue(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}
