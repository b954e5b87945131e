import { PLACEHOLDER } from '../../input/parse-command-task.ts';

/** Values the provider supplies itself (`BUILT_IN_PLACEHOLDERS`); they win over task fields of the same name. */
export interface BuiltInPlaceholders {
  custom_id: string;
  output_path: string;
  attempt: number;
}

export type FilledArgv =
  | { ok: true; argv: string[] }
  | { ok: false; missing: string }
  /** An argument that is only `{field}` got a value starting with `-`: it would read as an option of the command. */
  | { ok: false; optionLike: string };

export interface FillArgvOptions {
  /** Let a whole-argument `{field}` take a value starting with `-` (`allow_option_values`). @default false */
  allowOptionValues?: boolean;
}

/** An argument that is exactly one placeholder, e.g. `{prompt}`. */
const WHOLE_PLACEHOLDER = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/**
 * Fills a target's argv template from a task. Each argument is filled on its own and stays one argument (no shell,
 * no word splitting), so `"--size={size}"` and `"{custom_id}.png"` work. Values: strings as they are, numbers and
 * booleans as their text, objects and arrays as JSON. A placeholder whose field is absent or null is `missing`.
 *
 * An argument that is only a task field's placeholder (`{prompt}`) must not become an option of the command: a
 * value such as `--out=/x` there is `optionLike` unless `allowOptionValues`. Inside a longer argument
 * (`--size={size}`) or from a built-in (`{output_path}`, absolute) a value cannot do that.
 */
export function fillArgvTemplate(
  template: readonly string[],
  fields: Readonly<Record<string, unknown>>,
  builtIns: BuiltInPlaceholders,
  options: FillArgvOptions = {},
): FilledArgv {
  const argv: string[] = [];
  let missing: string | undefined;
  for (const argument of template) {
    const whole = WHOLE_PLACEHOLDER.exec(argument)?.[1];
    if (whole !== undefined && options.allowOptionValues !== true && !Object.hasOwn(builtIns, whole)) {
      const text = formatPlaceholderValue(fields[whole]);
      if (text?.startsWith('-') === true) return { ok: false, optionLike: whole };
    }
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
