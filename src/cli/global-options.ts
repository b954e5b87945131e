import type { Command } from 'commander';
import { jobNotFound } from '../store/require-job.ts';
import { resolveStoreUrl } from './resolve-store-url.ts';
import { resolveWorkspace, type ResolvedWorkspace } from './workspace.ts';

export interface GlobalOptions {
  workspace: string;
  json: boolean;
  /** Whether the workspace exists: commands that only read must not create it. */
  workspaceExists: boolean;
  /** Where the workspace was looked for, for messages when there is none. */
  workspaceSearched: string;
  /**
   * `--store` or `$BATCHPILOT_STORE`: the PostgreSQL database holding the job state (the workspace keeps the job's
   * files); undefined for the workspace's SQLite store.
   */
  store?: string | undefined;
}

export function globalOptions(command: Command): GlobalOptions {
  const values = command.optsWithGlobals<{ workspace?: string; json?: boolean; store?: string }>();
  const found: ResolvedWorkspace = resolveWorkspace(values.workspace, process.env, process.cwd());
  return {
    workspace: found.dir,
    json: values.json === true,
    workspaceExists: found.exists,
    workspaceSearched: found.searched,
    store: resolveStoreUrl(values.store, process.env),
  };
}

/**
 * For commands about one job (`status JOB`, `monitor`, `logs`, `cancel`, `resume`, `wait`): with no
 * workspace there is no job, and opening the store would create an empty workspace where the user
 * did not mean one.
 */
export function assertWorkspaceExists(options: GlobalOptions, jobId: string): void {
  if (!options.workspaceExists) {
    throw jobNotFound(
      jobId,
      `any workspace (no .batchpilot folder in ${options.workspaceSearched}; pass --workspace DIR)`,
    );
  }
}
