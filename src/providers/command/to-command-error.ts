import { ConnectionError, ProviderError, TimeoutError } from '../../errors/index.ts';
import { redactSecrets } from '../../util/redact.ts';
import type { TaskProcessResult } from './run-task-process.ts';

/** stderr quoted in an error message, at most. */
const STDERR_EXCERPT_CHARS = 500;

/** spawn failures that another attempt cannot fix: the program is missing or not runnable, an argument is invalid. */
const PERMANENT_SPAWN_ERRORS: ReadonlySet<string> = new Set([
  'ENOENT',
  'EACCES',
  'ENOTDIR',
  'EISDIR',
  'ENOEXEC',
  'E2BIG',
  'ERR_INVALID_ARG_VALUE',
  'ERR_INVALID_ARG_TYPE',
]);

/**
 * Statuses a failed command is reported under. The retry policy reads HTTP statuses, so command outcomes borrow them:
 * 400 (the task cannot run: a missing placeholder value, a program that is not there) and 422 (an exit code listed in
 * `non_retryable_exit_codes`) fail the item at once; 500 (any other non-zero exit, or death by a signal we did not
 * send) is retried with backoff. A timeout is a `TimeoutError` and a failed spawn for lack of resources
 * (EAGAIN, EMFILE, ...) a `ConnectionError`: both retried. No status is 401/403, which would stop the whole job.
 */
export const COMMAND_STATUS = {
  cannotRun: 400,
  nonRetryableExit: 422,
  failed: 500,
} as const;

export interface CommandErrorContext {
  /** The target's name. */
  name: string;
  target: { readonly timeout_ms: number; readonly non_retryable_exit_codes: readonly number[] };
  /** The task's log, relative to the job folder, named in every message. */
  logName: string;
  /** Masked in the quoted stderr. */
  secrets: readonly string[];
}

/** The error a finished run stands for, or undefined when it exited 0. */
export function toCommandError(result: TaskProcessResult, context: CommandErrorContext): ProviderError | undefined {
  const { end } = result;
  const { name, logName } = context;
  const stderr = formatStderrExcerpt(result.stderrTail, context.secrets);
  switch (end.kind) {
    case 'aborted':
      return new ProviderError(`command "${name}" stopped: the job is stopping`, { kind: 'aborted' });
    case 'timed_out':
      return new TimeoutError(
        `command "${name}" ran past its timeout of ${String(context.target.timeout_ms)} ms (command.targets.${name}.timeout_ms); its process group was killed (log: ${logName})`,
        { kind: 'timeout' },
      );
    case 'spawn_failed': {
      const message = `command "${name}" could not start (${end.errno}): ${redactSecrets(end.message, context.secrets)} (log: ${logName})`;
      if (PERMANENT_SPAWN_ERRORS.has(end.errno)) return ProviderError.generate(COMMAND_STATUS.cannotRun, message, {});
      return new ConnectionError(message, { kind: 'connection', errno: end.errno });
    }
    case 'exited': {
      if (end.signal !== null) {
        return ProviderError.generate(
          COMMAND_STATUS.failed,
          `command "${name}" was killed by ${end.signal} after ${String(result.durationMs)} ms${stderr} (log: ${logName})`,
          {},
        );
      }
      const exitCode = end.exitCode ?? -1;
      if (exitCode === 0) return undefined;
      const permanent = context.target.non_retryable_exit_codes.includes(exitCode);
      const note = permanent ? ` (listed in command.targets.${name}.non_retryable_exit_codes)` : '';
      return ProviderError.generate(
        permanent ? COMMAND_STATUS.nonRetryableExit : COMMAND_STATUS.failed,
        `command "${name}" exited with code ${String(exitCode)} after ${String(result.durationMs)} ms${note}${stderr} (log: ${logName})`,
        {},
      );
    }
  }
}

/** `: <last ~500 characters of stderr, one line, redacted>`, or nothing when stderr was empty. */
function formatStderrExcerpt(tail: string, secrets: readonly string[]): string {
  // Redacted before cutting, so a secret at the cut is masked whole.
  const text = redactSecrets(tail, secrets)
    .trim()
    .replace(/\s*[\r\n]+\s*/g, ' | ');
  if (text === '') return '';
  return `: ${text.length > STDERR_EXCERPT_CHARS ? `...${text.slice(-STDERR_EXCERPT_CHARS)}` : text}`;
}
