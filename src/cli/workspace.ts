import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The folder name a workspace has when it is found rather than named. */
export const WORKSPACE_DIR_NAME = '.batchpilot';

export interface ResolvedWorkspace {
  /** Absolute path of the workspace folder. */
  dir: string;
  /** Whether it exists now; read-only commands never create one. */
  exists: boolean;
  /** Where it was looked for, for a message when none was found (`<cwd> and its parents`). */
  searched: string;
}

/**
 * `--workspace`, else `BATCHPILOT_WORKSPACE`, else the nearest `.batchpilot` folder in the working
 * folder or one of its parents (as git finds `.git`, so every command works from a subfolder of
 * a project), else `./.batchpilot`, which `run` creates.
 */
export function resolveWorkspace(
  flag: string | undefined,
  env: Record<string, string | undefined>,
  cwd: string,
): ResolvedWorkspace {
  const named = flag ?? env['BATCHPILOT_WORKSPACE'];
  if (named !== undefined && named !== '') {
    const dir = resolve(cwd, named);
    return { dir, exists: isDirectory(dir), searched: dir };
  }
  const start = resolve(cwd);
  for (let folder = start; ; folder = dirname(folder)) {
    const candidate = join(folder, WORKSPACE_DIR_NAME);
    if (isDirectory(candidate)) return { dir: candidate, exists: true, searched: `${start} and its parents` };
    if (dirname(folder) === folder) break;
  }
  return { dir: join(start, WORKSPACE_DIR_NAME), exists: false, searched: `${start} and its parents` };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
