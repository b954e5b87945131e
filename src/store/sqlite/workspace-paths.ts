import { isAbsolute, relative, resolve, sep } from 'node:path';

/**
 * How a job's paths (input file, result folder) are kept: relative to the workspace folder
 * when they lie inside it, absolute otherwise. A workspace copied or moved elsewhere then
 * writes its result files into its own `jobs/` folder, never into the original's.
 */
export function toStoredPath(workspace: string, path: string): string {
  const inside = relative(workspace, path);
  if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) return path;
  return inside;
}

/** The absolute path a stored one stands for, in this workspace. */
export function fromStoredPath(workspace: string, stored: string): string {
  return isAbsolute(stored) ? stored : resolve(workspace, stored);
}
