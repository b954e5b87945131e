import { type ChildProcess, spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { TaskLog } from './task-log.ts';

/**
 * One run of a task's command, from spawn to the end of its output.
 *
 * ```
 * running --exit------------------------------> draining --stdio closed / 2 s--> ended (exited)
 *    |                                              ^
 *    +--timeout / abort / close--> stopping --exit--+  (SIGTERM to the group, SIGKILL after the grace or at the exit)
 * ```
 *
 * The command runs in a process group of its own (`detached`), without a shell and without a terminal, so a timeout
 * or a stopping job can kill it with everything it started, and a Ctrl-C in batchpilot's terminal does not reach it.
 * Stopping sends SIGTERM to the whole group and SIGKILL `killGraceMs` later, or as soon as the command itself has
 * exited (its helpers go with it). stdout and stderr are piped into the task's log; stdout is also kept in memory when
 * the result is read from it.
 */

export interface TaskProcessOptions {
  argv: readonly string[];
  /** The command's whole environment (see `buildTaskEnvironment`); nothing else of ours is inherited. */
  env: Record<string, string>;
  /** Kill the group after this many ms. */
  timeoutMs: number;
  /** Aborting it stops the command (the job is stopping). */
  signal?: AbortSignal | undefined;
  log: TaskLog;
  /** Keep stdout in memory, up to `maxStdoutBytes` (more is reported as `stdoutOverflow`). */
  captureStdout: boolean;
  maxStdoutBytes: number;
  /** SIGTERM -> SIGKILL delay, in ms. */
  killGraceMs: number;
  /** How long to wait for stdout/stderr to close once the command has exited (a helper it left may hold them). */
  drainMs: number;
}

export type TaskProcessEnd =
  | { kind: 'exited'; exitCode: number | null; signal: NodeJS.Signals | null }
  | { kind: 'timed_out' }
  | { kind: 'aborted' }
  | { kind: 'spawn_failed'; errno: string; message: string };

export interface TaskProcessResult {
  end: TaskProcessEnd;
  durationMs: number;
  /** stdout when captured and within the limit, else null. */
  stdout: string | null;
  stdoutOverflow: boolean;
  /** The last bytes of stderr (at most `STDERR_TAIL_BYTES`), unredacted. */
  stderrTail: string;
  /** The process group id (the command's pid), or null when it did not start. */
  pid: number | null;
}

/** stderr kept for error messages. */
export const STDERR_TAIL_BYTES = 2048;

export interface TaskProcess {
  readonly done: Promise<TaskProcessResult>;
  /** Stops the command as a stopping job does (reported as `aborted`). */
  stop(): void;
}

type StopReason = 'timeout' | 'abort';

export function startTaskProcess(options: TaskProcessOptions): TaskProcess {
  const startedAt = performance.now();
  const [command = '', ...args] = options.argv;
  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
      env: options.env,
    });
  } catch (error) {
    // Invalid arguments (a NUL byte in a field) throw here rather than emit 'error'.
    const failure = error as NodeJS.ErrnoException;
    const end: TaskProcessEnd = {
      kind: 'spawn_failed',
      errno: failure.code ?? 'UNKNOWN',
      message: failure.message,
    };
    const result = { end, durationMs: 0, stdout: null, stdoutOverflow: false, stderrTail: '', pid: null };
    return { done: Promise.resolve(result), stop: () => undefined };
  }

  let stopping: StopReason | undefined;
  let exit: { exitCode: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: NodeJS.ErrnoException | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  let drainTimer: NodeJS.Timeout | undefined;
  let stdoutParts: string[] | null = options.captureStdout ? [] : null;
  let stdoutBytes = 0;
  let stdoutOverflow = false;
  let stderrTail = '';
  const pid = child.pid ?? null;

  const killGroup = (signal: NodeJS.Signals): void => {
    if (pid === null) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // ESRCH: the group is gone already.
    }
  };

  const stop = (reason: StopReason): void => {
    if (stopping !== undefined || exit !== undefined || pid === null) return;
    stopping = reason;
    killGroup('SIGTERM');
    killTimer = setTimeout(() => killGroup('SIGKILL'), options.killGraceMs);
  };

  const timeoutTimer = setTimeout(() => stop('timeout'), options.timeoutMs);
  const onAbort = (): void => stop('abort');
  if (options.signal?.aborted === true) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });

  let pausedForLog = false;
  const pauseForLog = (): void => {
    if (pausedForLog) return;
    pausedForLog = true;
    child.stdout?.pause();
    child.stderr?.pause();
    options.log.onceDrained(() => {
      pausedForLog = false;
      child.stdout?.resume();
      child.stderr?.resume();
    });
  };

  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (text: string) => {
    if (stdoutParts !== null) {
      stdoutBytes += Buffer.byteLength(text);
      if (stdoutBytes > options.maxStdoutBytes) {
        stdoutParts = null;
        stdoutOverflow = true;
      } else {
        stdoutParts.push(text);
      }
    }
    if (!options.log.output('stdout', text)) pauseForLog();
  });
  child.stderr?.on('data', (text: string) => {
    stderrTail = keepTail(stderrTail + text, STDERR_TAIL_BYTES);
    if (!options.log.output('stderr', text)) pauseForLog();
  });

  const done = new Promise<TaskProcessResult>((resolve) => {
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timeoutTimer);
      clearTimeout(killTimer);
      clearTimeout(drainTimer);
      options.signal?.removeEventListener('abort', onAbort);
      let end: TaskProcessEnd;
      if (spawnError !== undefined && exit === undefined) {
        end = { kind: 'spawn_failed', errno: spawnError.code ?? 'UNKNOWN', message: spawnError.message };
      } else if (stopping === 'timeout') {
        end = { kind: 'timed_out' };
      } else if (stopping === 'abort') {
        end = { kind: 'aborted' };
      } else {
        end = { kind: 'exited', exitCode: exit?.exitCode ?? null, signal: exit?.signal ?? null };
      }
      resolve({
        end,
        durationMs: Math.round(performance.now() - startedAt),
        stdout: stdoutParts === null ? null : stdoutParts.join(''),
        stdoutOverflow,
        stderrTail,
        pid,
      });
    };

    child.on('error', (error: NodeJS.ErrnoException) => {
      // Only a failed spawn ends the run here; a later error (a failed kill) changes nothing.
      if (child.pid !== undefined) return;
      spawnError = error;
      finish();
    });
    child.on('exit', (exitCode, signal) => {
      exit = { exitCode, signal };
      if (stopping !== undefined) {
        // The command is gone: what it started goes now rather than after the grace.
        clearTimeout(killTimer);
        killGroup('SIGKILL');
      }
      drainTimer = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish();
      }, options.drainMs);
    });
    child.on('close', finish);
  });

  return { done, stop: () => stop('abort') };
}

/** The end of `text` within `maxBytes` of UTF-8 (counted roughly by characters: a tail needs no precision). */
function keepTail(text: string, maxBytes: number): string {
  if (text.length <= maxBytes) return text;
  return text.slice(text.length - maxBytes);
}
