import {
  type ChildProcess,
  type ChildProcessByStdio,
  spawn,
  type SpawnOptions,
  type SpawnOptionsWithStdioTuple,
  type StdioNull,
  type StdioPipe,
} from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Starts a child process that cannot outlive the test process that started it, whatever ends that one:
 * - the child leads a process group of its own (`detached`), so killing the group takes its own children too;
 * - every group still running is SIGKILLed when the test process exits, or on SIGTERM (what the runner sends a file
 *   over its timeout), SIGINT or SIGHUP, before the signal ends the process;
 * - a Node child also gets `--import exit-with-owner.mjs` and `BP_TEST_OWNER_PID`: it kills its own group once the
 *   test process is gone, which covers a SIGKILL no hook can catch.
 */

/** The variable naming the test process that owns a child (read by exit-with-owner.mjs). */
export const OWNER_ENV = 'BP_TEST_OWNER_PID';
const EXIT_WITH_OWNER = fileURLToPath(new URL('exit-with-owner.mjs', import.meta.url));
/** Node arguments that make a Node child watch its owner; `spawnOwned` adds them to `process.execPath` children. */
export const EXIT_WITH_OWNER_ARGS: readonly string[] = ['--import', pathToFileURL(EXIT_WITH_OWNER).href];

const running = new Set<ChildProcess>();
const HOOKED_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];
let hooksInstalled = false;

/** SIGKILLs the process group of `child` (or the child alone, if its group is already gone). */
export function killOwned(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

function killAllOwned(): void {
  for (const child of running) killOwned(child);
}

function onSignal(signal: NodeJS.Signals): void {
  killAllOwned();
  // The default action once the groups are gone: end with this signal, as the process would have without the hook.
  for (const hooked of HOOKED_SIGNALS) process.removeListener(hooked, onSignal);
  process.kill(process.pid, signal);
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllOwned);
  for (const signal of HOOKED_SIGNALS) process.once(signal, onSignal);
}

export function spawnOwned(
  command: string,
  args: readonly string[],
  options: SpawnOptionsWithStdioTuple<StdioNull, StdioPipe, StdioPipe>,
): ChildProcessByStdio<null, Readable, Readable>;
export function spawnOwned(command: string, args: readonly string[], options?: SpawnOptions): ChildProcess;
export function spawnOwned(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  installHooks();
  const nodeArgs = command === process.execPath ? [...EXIT_WITH_OWNER_ARGS, ...args] : [...args];
  const child = spawn(command, nodeArgs, {
    ...options,
    detached: true,
    env: { ...(options.env ?? process.env), [OWNER_ENV]: String(process.pid) },
  });
  if (child.pid !== undefined) {
    running.add(child);
    child.once('exit', () => running.delete(child));
  }
  return child;
}
