import { resolve } from 'node:path';

/** `--workspace`, else `BATCHPILOT_WORKSPACE`, else `./.batchpilot` (SPEC section 2). */
export function resolveWorkspace(
  flag: string | undefined,
  env: Record<string, string | undefined>,
  cwd: string,
): string {
  return resolve(cwd, flag ?? env['BATCHPILOT_WORKSPACE'] ?? '.batchpilot');
}
