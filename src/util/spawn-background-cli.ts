import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

export interface SpawnBackgroundCliOptions {
  /** What it is, for the error when it cannot start ("the scheduler", "the background run"). */
  what: string;
  /** Its output (stdout and stderr) is appended here; made private to the user. */
  logPath: string;
  env: NodeJS.ProcessEnv;
}

/**
 * Node's arguments that start this CLI again with `args`: the same entry as this process (`bin/batchpilot.js`, or
 * `src/cli/dev-entry.ts` with `--import tsx` kept from execArgv). Run in this process's folder, where `--import tsx`
 * resolves as it did here. `what` names the process for the error when there is no entry.
 */
export function cliArguments(args: readonly string[], what: string): string[] {
  const entry = process.argv[1];
  if (entry === undefined) throw new Error(`cannot start ${what}: no entry script in process.argv`);
  return [...process.execArgv, entry, ...args];
}

/**
 * This CLI again with `args` (`cliArguments`), in a session of its own, stdin closed, its output appended to
 * `logPath`: a process that outlives the one starting it. Returns its pid.
 */
export function spawnBackgroundCli(args: readonly string[], options: SpawnBackgroundCliOptions): number {
  const argv = cliArguments(args, options.what);
  const logFd = openSync(options.logPath, 'a', 0o600);
  try {
    const child = spawn(process.execPath, argv, {
      cwd: process.cwd(),
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: options.env,
      windowsHide: true,
    });
    // A failed spawn also emits 'error'; the missing pid below reports it.
    child.on('error', () => undefined);
    if (child.pid === undefined) throw new Error(`cannot start ${options.what}`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(logFd);
  }
}
