import type { TempWorkspace } from './temp-workspace.ts';

/** Where a shared run goes: the workspace, the shared store and the job. */
export interface SharedTarget {
  temp: Pick<TempWorkspace, 'workspace'>;
  /** The PostgreSQL store's URL. */
  url: string;
  jobId: string;
}

/**
 * `batchpilot --workspace W --store URL --json run INPUT --job ID --base-url B --no-progress EXTRA...`: the submitting
 * process of a job many workers share (docs/decisions/0031).
 */
export function sharedRunArgs(
  target: SharedTarget,
  input: string,
  baseUrl: string,
  extra: readonly string[] = [],
): string[] {
  return [
    '--workspace',
    target.temp.workspace,
    '--store',
    target.url,
    '--json',
    'run',
    input,
    '--job',
    target.jobId,
    '--base-url',
    baseUrl,
    '--no-progress',
    ...extra,
  ];
}

/** `batchpilot --workspace W --store URL worker --jobs ID EXTRA...`: a worker on that job only. */
export function workerArgs(target: SharedTarget, extra: readonly string[] = []): string[] {
  return ['--workspace', target.temp.workspace, '--store', target.url, 'worker', '--jobs', target.jobId, ...extra];
}
