/**
 * Variables every command gets from batchpilot's environment, when set: what programs need
 * to find each other, a home, a temp folder, a locale and a time zone (and their Windows
 * equivalents). Everything else, API keys first, reaches a command only when its target
 * names it in `env`.
 */
export const BASE_TASK_VARIABLES: readonly string[] = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'TZ',
  'TMPDIR',
  'TEMP',
  'TMP',
  'TERM',
  // Windows: programs fail to start without these.
  'SYSTEMROOT',
  'SystemRoot',
  'WINDIR',
  'COMSPEC',
  'PATHEXT',
  'USERPROFILE',
  'APPDATA',
  'LOCALAPPDATA',
];

/** Names that say a variable holds a secret: its value is masked in the task's log, errors and result. */
const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL/i;

export interface TaskEnvironment {
  env: Record<string, string>;
  /** Values of the passed variables whose names say they are secrets. */
  secrets: string[];
}

/**
 * The environment of a task's command: the base variables, the locale (`LC_*`), and the
 * variables its target names (`command.targets.X.env`), each only when set in `parent`.
 */
export function buildTaskEnvironment(
  parent: Readonly<Record<string, string | undefined>>,
  named: readonly string[],
): TaskEnvironment {
  const env: Record<string, string> = {};
  const secrets: string[] = [];
  for (const [name, value] of Object.entries(parent)) {
    if (value === undefined) continue;
    if (BASE_TASK_VARIABLES.includes(name) || name.startsWith('LC_')) env[name] = value;
  }
  for (const name of named) {
    const value = parent[name];
    if (value === undefined) continue;
    env[name] = value;
    if (SECRET_NAME.test(name)) secrets.push(value);
  }
  return { env, secrets };
}
