import { describeJsonType } from './describe-json-type.ts';
import type { JsonLine, ParseOutcome } from './parse-outcome.ts';
import { resolveRowCustomId } from './resolve-row-custom-id.ts';

/** What the parser needs of a `command.targets` entry. */
export interface CommandTaskTarget {
  /** A target that needs a terminal: tasks naming it are rejected. */
  readonly interactive: boolean;
  /** The argv template, so a task missing a field one of its `{placeholders}` needs is rejected up front. */
  readonly argv?: readonly string[];
}

/** `provider: command`: the configured targets by name. */
export type CommandTaskTargets = Readonly<Record<string, CommandTaskTarget>>;

/** Task requests are addressed `command:<target>`; the command provider reads the target back from there. */
export const COMMAND_URL_PREFIX = 'command:';

/** Placeholders the command provider fills itself (`fillArgvTemplate`), whatever the task's fields hold. */
export const BUILT_IN_PLACEHOLDERS: ReadonlySet<string> = new Set(['custom_id', 'output_path', 'attempt']);

/**
 * `{name}` in an argv template: a letter or `_`, then letters, digits and `_`. Anything else in braces (`{"a": 1}`,
 * `{}`, `{a-b}`) is literal text. The parser checks tasks with it and the provider fills argv with it.
 */
export const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * A task line of `provider: command`: `{"custom_id", "target", ...fields}`. The request is addressed
 * `command:<target>` and its body is the line's own JSON text; the provider fills the target's argv from it.
 *
 * Rejected here, before anything runs: a missing, unknown or interactive `target` (the reason lists the runnable
 * targets), and a task without a field that its target's argv names as a `{placeholder}`. `custom_id` is the line's
 * `custom_id`, else its `id`, else its line number, as for message rows.
 */
export function parseCommandTask(line: JsonLine, targets: CommandTaskTargets): ParseOutcome {
  const { value: task } = line;
  const id = resolveRowCustomId(task, line.lineNo);
  if (!id.ok) return { ok: false, reason: id.reason };
  const failure = (reason: string): ParseOutcome =>
    id.explicit ? { ok: false, reason, customId: id.customId } : { ok: false, reason };

  const name = task['target'];
  if (name === undefined || name === null) {
    return failure(`missing "target": name the command target that runs this task; ${listTargets(targets)}`);
  }
  if (typeof name !== 'string') {
    return failure(`"target" must be a string, got ${describeJsonType(name)}; ${listTargets(targets)}`);
  }
  const target = Object.hasOwn(targets, name) ? targets[name] : undefined;
  if (target === undefined) return failure(`unknown target ${JSON.stringify(name)}; ${listTargets(targets)}`);
  if (target.interactive) {
    return failure(
      `target ${JSON.stringify(name)} is interactive (it needs a terminal) and cannot run in a batch; ${listTargets(targets)}`,
    );
  }
  for (const field of placeholderNames(target)) {
    if (BUILT_IN_PLACEHOLDERS.has(field)) continue;
    const value = task[field];
    if (value === undefined || value === null) {
      return failure(
        `missing field ${JSON.stringify(field)}: target ${JSON.stringify(name)} puts {${field}} in its command (command.targets.${name}.argv)`,
      );
    }
  }
  return {
    ok: true,
    customId: id.customId,
    request: { method: 'POST', url: `${COMMAND_URL_PREFIX}${name}`, body: line.text.trim() },
  };
}

/** `targets: a, b (command.targets)`: the targets a task may name (interactive ones are left out). */
function listTargets(targets: CommandTaskTargets): string {
  const runnable = Object.keys(targets).filter((name) => targets[name]?.interactive === false);
  if (runnable.length === 0) return 'no runnable targets are configured (command.targets)';
  return `targets: ${runnable.join(', ')} (command.targets)`;
}

const placeholderCache = new WeakMap<CommandTaskTarget, readonly string[]>();

/** The distinct `{placeholder}` names of a target's argv, computed once per target. */
function placeholderNames(target: CommandTaskTarget): readonly string[] {
  let names = placeholderCache.get(target);
  if (names === undefined) {
    const found = new Set<string>();
    for (const argument of target.argv ?? []) {
      for (const match of argument.matchAll(PLACEHOLDER)) found.add(match[1] ?? '');
    }
    names = [...found];
    placeholderCache.set(target, names);
  }
  return names;
}
