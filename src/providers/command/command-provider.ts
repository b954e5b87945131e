import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { PreparedRequest } from '../../core/item.ts';
import { MalformedResponseError, ProviderError, ResponseTooLargeError } from '../../errors/index.ts';
import { knownSecrets, redactSecrets } from '../../util/redact.ts';
import { buildTaskEnvironment } from './task-environment.ts';
import type { ProviderResponse, RealtimeProvider, SendOptions } from '../provider.ts';
import { findSecretArgValues, formatCommandPreview } from './command-preview.ts';
import { fillArgvTemplate } from './fill-argv-template.ts';
import { toCommandError } from './to-command-error.ts';
import { startTaskProcess, type TaskProcess, type TaskProcessResult } from './run-task-process.ts';
import { TaskLog } from './task-log.ts';
import { TASKS_FOLDER, taskFilePaths } from './task-file-names.ts';
import { COMMAND_URL_PREFIX } from '../../input/parse-command-task.ts';

/** One `command.targets` entry as the config validated it. */
export interface CommandTarget {
  /** The command and its arguments, with `{placeholder}`s (see `fillArgvTemplate`). */
  readonly argv: readonly string[];
  /** Kill the process group after this many ms. */
  readonly timeout_ms: number;
  readonly result: 'stdout_json' | 'file' | 'exit_code';
  /** Exit codes that fail the task at once instead of being retried. */
  readonly non_retryable_exit_codes: readonly number[];
  /** Tasks naming an interactive target are rejected by the input parser; the provider refuses them too. */
  readonly interactive: boolean;
  /** Arguments whose value is shown as `***` (`--api-key VALUE`, `--api-key=VALUE`). */
  readonly secret_args: readonly string[];
  /** Variables of batchpilot's environment the command gets besides the base ones (`task-environment.ts`). @default [] */
  readonly env?: readonly string[];
  /** Let a whole-argument `{field}` take a value starting with `-`. @default false */
  readonly allow_option_values?: boolean;
}

export interface CommandProviderOptions {
  /** The job's folder: task logs and outputs go to its `tasks/` folder. */
  workDir: string;
  /** `command.targets`. */
  targets: Readonly<Record<string, CommandTarget>>;
  /** Where the variables a target names are read from (the composition root's environment). */
  env: Readonly<Record<string, string | undefined>>;
  /**
   * SIGTERM -> SIGKILL grace when a command is stopped, in ms.
   * @default 1000
   */
  killGraceMs?: number;
  /**
   * Largest result, in bytes (`max_response_bytes`): stdout kept for `result: stdout_json`, or the `{output_path}`
   * file read for `result: file`. A larger one fails the item with `response_too_large`, not retried.
   * @default 10485760 (10 MiB)
   */
  maxResultBytes?: number | undefined;
}

/** Time left for stdout/stderr to close after the command exits, in ms. */
const DRAIN_MS = 2000;

/**
 * `provider: command`: each item runs a local command (SPEC/issue 5 §4). One `send` is one attempt: fill the target's
 * argv from the task, run it in its own process group with its output appended to `tasks/<stem>.log`, and read the
 * result from stdout, from `{output_path}`, or from the exit code alone.
 *
 * The response body (JSON, one line) is
 * `{"target","exit_code":0,"duration_ms","output_path","log_path","result"}`, where `result` is the JSON the command
 * printed (`stdout_json`), the JSON of its output file (`file`), or `{}` (`exit_code`), and `output_path` is null
 * when the command left no file there. Failures map onto the retry policy as `to-command-error.ts` describes.
 *
 * The deadline is the target's own `timeout_ms`; the top-level `timeout_ms` (the HTTP request deadline,
 * `SendOptions.timeoutMs`) does not apply, so a 30-minute video target is not cut short by a 10-minute HTTP default.
 *
 * Commands run in batchpilot's working folder, with only the base variables of its environment (PATH, HOME, the
 * locale, the temp folder; see task-environment.ts) and those the target names in `env`: the API key and other
 * secrets of batchpilot's environment reach no command that was not given them. Values of passed variables named like
 * secrets (`*KEY*`, `*TOKEN*`, ...) are masked in the task's log, errors and result. For `result: file`, a file left at
 * `{output_path}` by an earlier attempt is removed first, so the result always comes from this attempt.
 *
 * Deliberately left out: a shell, a terminal, stdin (closed), and any kill of commands a killed batchpilot
 * left behind (their pipes break with it; `resume` runs such tasks again).
 */
export class CommandProvider implements RealtimeProvider {
  readonly name = 'command';
  private readonly options: CommandProviderOptions;
  private readonly running = new Set<TaskProcess>();
  private tasksFolder: Promise<unknown> | undefined;

  constructor(options: CommandProviderOptions) {
    this.options = options;
  }

  async send(request: PreparedRequest, options: SendOptions): Promise<ProviderResponse> {
    const { target, name } = this.findTarget(request.url);
    const item = options.item;
    if (item === undefined) throw ProviderError.generate(400, 'command tasks need the item they run for', {});
    const fields = parseTaskFields(request.body);
    const { logPath, outputPath } = taskFilePaths(this.options.workDir, item.customId);
    const filled = fillArgvTemplate(
      target.argv,
      fields,
      {
        custom_id: item.customId,
        output_path: outputPath,
        attempt: item.attempt,
      },
      { allowOptionValues: target.allow_option_values === true },
    );
    if (!filled.ok && 'optionLike' in filled) {
      throw ProviderError.generate(
        400,
        `task field ${JSON.stringify(filled.optionLike)} starts with "-", so {${filled.optionLike}} in command.targets.${name}.argv would be read as an option of the command; change the value, or set command.targets.${name}.allow_option_values: true if the command should take it`,
        {},
      );
    }
    if (!filled.ok) {
      throw ProviderError.generate(
        400,
        `task has no field ${JSON.stringify(filled.missing)} for {${filled.missing}} in command.targets.${name}.argv`,
        {},
      );
    }
    if (options.signal?.aborted === true) {
      throw new ProviderError('task not started: the job is stopping', { kind: 'aborted' });
    }
    const environment = buildTaskEnvironment(this.options.env, target.env ?? []);
    const secrets = [
      ...knownSecrets(),
      ...environment.secrets,
      ...findSecretArgValues(filled.argv, target.secret_args),
    ];
    this.tasksFolder ??= mkdir(this.taskFolderPath(), { recursive: true });
    await this.tasksFolder;
    // The result must come from this attempt: a file left by an earlier one would read as success.
    if (target.result === 'file') await rm(outputPath, { force: true });

    const log = new TaskLog(logPath, secrets);
    const preview = formatCommandPreview(filled.argv, target.secret_args, secrets);
    log.note(`--- ${new Date().toISOString()} attempt ${String(item.attempt)} target ${name}: ${preview}`);
    const task = startTaskProcess({
      argv: filled.argv,
      env: environment.env,
      timeoutMs: target.timeout_ms,
      signal: options.signal,
      log,
      captureStdout: target.result === 'stdout_json',
      maxStdoutBytes: this.maxResultBytes,
      killGraceMs: this.options.killGraceMs ?? 1000,
      drainMs: DRAIN_MS,
    });
    this.running.add(task);
    let result: TaskProcessResult;
    try {
      result = await task.done;
    } finally {
      this.running.delete(task);
    }
    log.note(`--- ${describeEnd(result, target.timeout_ms)} after ${String(result.durationMs)} ms`);
    await log.close();

    const logName = relative(this.options.workDir, logPath);
    const failure = toCommandError(result, { name, target, logName, secrets });
    if (failure !== undefined) throw failure;
    const value = await this.readResult(target, name, result, outputPath, logName);
    // Masked like any answer: a command may print the secrets it was given.
    const body = redactSecrets(
      JSON.stringify({
        target: name,
        exit_code: 0,
        duration_ms: result.durationMs,
        output_path: (await isFile(outputPath)) ? outputPath : null,
        log_path: logPath,
        result: value,
      }),
      secrets,
      { patterns: false },
    );
    return { statusCode: 200, requestId: null, body, usage: null, rateLimit: null };
  }

  /** Stops every command still running (SIGTERM, then SIGKILL after the grace) and waits for them to end. */
  async close(): Promise<void> {
    const tasks = [...this.running];
    for (const task of tasks) task.stop();
    await Promise.all(tasks.map((task) => task.done));
  }

  private get maxResultBytes(): number {
    return this.options.maxResultBytes ?? 10 * 1024 * 1024;
  }

  private taskFolderPath(): string {
    return join(this.options.workDir, TASKS_FOLDER);
  }

  private findTarget(url: string): { target: CommandTarget; name: string } {
    const name = url.startsWith(COMMAND_URL_PREFIX) ? url.slice(COMMAND_URL_PREFIX.length) : undefined;
    const target =
      name !== undefined && Object.hasOwn(this.options.targets, name) ? this.options.targets[name] : undefined;
    if (name === undefined || target === undefined || target.interactive) {
      const targets = Object.keys(this.options.targets).join(', ');
      throw ProviderError.generate(
        400,
        `no runnable command target for ${JSON.stringify(url)}; targets: ${targets}`,
        {},
      );
    }
    return { target, name };
  }

  /** The task's result value, per the target's `result`; a missing or invalid result is malformed (retried). */
  private async readResult(
    target: CommandTarget,
    name: string,
    result: TaskProcessResult,
    outputPath: string,
    logName: string,
  ): Promise<unknown> {
    if (target.result === 'exit_code') return {};
    if (target.result === 'stdout_json') {
      if (result.stdoutOverflow) {
        throw tooLarge(`command "${name}" printed more than ${String(this.maxResultBytes)} bytes on stdout`, logName);
      }
      return parseResultJson(result.stdout ?? '', `command "${name}" printed`, logName);
    }
    let text: string;
    try {
      const size = (await stat(outputPath)).size;
      if (size > this.maxResultBytes) {
        throw tooLarge(`command "${name}" wrote ${String(size)} bytes to {output_path}`, logName, size);
      }
      text = await readFile(outputPath, 'utf8');
    } catch (error) {
      if (error instanceof ProviderError) throw error;
      throw malformed(`command "${name}" exited 0 but wrote no file at {output_path} ${outputPath}`, logName);
    }
    return parseResultJson(text, `command "${name}" wrote to {output_path}`, logName);
  }
}

/** The task line's fields; the input parser made the body from a JSON object line. */
function parseTaskFields(body: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(body);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // Reported below.
  }
  throw ProviderError.generate(400, 'a command task must be a JSON object', {});
}

function parseResultJson(text: string, what: string, logName: string): unknown {
  if (text.trim() === '') throw malformed(`${what} nothing; expected one JSON value`, logName);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw malformed(`${what} invalid JSON: ${(error as Error).message}`, logName);
  }
}

/** A result over `max_response_bytes`: the same task would print as much again, so it is not retried. */
function tooLarge(message: string, logName: string, bodyBytes?: number): ResponseTooLargeError {
  return new ResponseTooLargeError(`${message}, over max_response_bytes (log: ${logName})`, {
    kind: 'response_too_large',
    ...(bodyBytes === undefined ? {} : { bodyBytes }),
  });
}

function malformed(message: string, logName: string): MalformedResponseError {
  return new MalformedResponseError(`${message} (log: ${logName})`, { kind: 'malformed' });
}

function describeEnd(result: TaskProcessResult, timeoutMs: number): string {
  const { end } = result;
  switch (end.kind) {
    case 'exited':
      return end.signal === null ? `exit ${String(end.exitCode)}` : `killed by ${end.signal}`;
    case 'timed_out':
      return `timed out (timeout_ms ${String(timeoutMs)}): process group killed`;
    case 'aborted':
      return 'stopped: the job is stopping';
    case 'spawn_failed':
      return `could not start: ${end.message}`;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
