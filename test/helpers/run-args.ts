import type { TempWorkspace } from './temp-workspace.ts';

/**
 * The arguments of `batchpilot --workspace <temp> --json run <input>`, then `--job` and `--base-url` when given, then
 * `extra`: what the CLI tests that run a job share.
 */
export function runArgs(
  temp: Pick<TempWorkspace, 'workspace'>,
  input: string,
  target: { job?: string; baseUrl?: string },
  extra: readonly string[] = [],
): string[] {
  return [
    '--workspace',
    temp.workspace,
    '--json',
    'run',
    input,
    ...(target.job === undefined ? [] : ['--job', target.job]),
    ...(target.baseUrl === undefined ? [] : ['--base-url', target.baseUrl]),
    ...extra,
  ];
}
