import type { ChildProcess, ChildProcessByStdio, SpawnOptions } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EXIT_WITH_OWNER_ARGS, killOwned, OWNER_ENV, spawnOwned } from './spawn-owned.ts';

/**
 * Runs the real CLI from source in a child process, as a user would: `node --import tsx src/cli/dev-entry.ts ...`.
 * tsx is imported by absolute file URL, so the child can run in any temp folder.
 *
 * `BATCHPILOT_TEST_CLI=dist` runs the compiled `bin/batchpilot.js` instead (after `npm run build`): about 0.8 s of CPU
 * less per call, since tsx compiles and resolves every source file in each child.
 *
 * Each CLI process is started by `spawnOwned`: it leads its own process group, and it and its children (a command
 * task's, the detached scheduler) die with the test process, however that ends.
 */

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX_LOADER = pathToFileURL(join(REPO_ROOT, 'node_modules/tsx/dist/esm/index.mjs')).href;
const DEV_ENTRY = join(REPO_ROOT, 'src/cli/dev-entry.ts');
export const CLI_PREFIX =
  process.env['BATCHPILOT_TEST_CLI'] === 'dist'
    ? [join(REPO_ROOT, 'bin/batchpilot.js')]
    : ['--import', TSX_LOADER, DEV_ENTRY];

/** Generous: a CLI call that takes this long is hung, and the test should say so rather than wait for the runner. */
const DEFAULT_TIMEOUT_MS = 60_000;

export interface CliOptions {
  /** The child's working folder (where `batchpilot.yaml` is looked for). */
  cwd: string;
  /** Added to the cleaned parent environment; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  /** Run as this local user (`runuser -u USER --`, needs root), for tests with a second user. */
  runAs?: string;
  /** Written to the child's standard input, which is then closed; unset: the child has no standard input. */
  stdin?: string | Buffer;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves when the process has exited and its output is closed; never rejects. */
  done: Promise<CliResult>;
}

const PROXY_VARIABLES: ReadonlySet<string> = new Set(['http_proxy', 'https_proxy', 'no_proxy']);

/** The parent's environment without anything that could change the CLI's config, the key it reads or its proxy. */
function childEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith('BATCHPILOT_') || name === 'OPENAI_API_KEY' || name === 'NODE_TEST_CONTEXT') continue;
    // A proxy of the machine would take the tests' loopback traffic (the CLI honours HTTP_PROXY); a test sets its own.
    if (PROXY_VARIABLES.has(name.toLowerCase())) continue;
    if (name === OWNER_ENV) continue;
    env[name] = value;
  }
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/** Children still running, so a failed test can stop them before its temp folder is removed. */
const running = new Set<CliProcess>();

/** SIGKILLs every CLI process started by `startCli` that is still running (its group too), and waits for them. */
export async function killRunningClis(): Promise<void> {
  const processes = [...running];
  for (const cli of processes) killOwned(cli.child);
  await Promise.all(processes.map((cli) => cli.done));
}

function spawnOptions(options: CliOptions): SpawnOptions {
  const stdin = options.stdin === undefined ? 'ignore' : 'pipe';
  return { cwd: options.cwd, env: childEnv(options.env ?? {}), stdio: [stdin, 'pipe', 'pipe'] };
}

export function startCli(args: readonly string[], options: CliOptions): CliProcess {
  const nodeArgs = [...CLI_PREFIX, ...args];
  const child = (
    options.runAs === undefined
      ? spawnOwned(process.execPath, nodeArgs, spawnOptions(options))
      : spawnOwned(
          'runuser',
          ['-u', options.runAs, '--', process.execPath, ...EXIT_WITH_OWNER_ARGS, ...nodeArgs],
          spawnOptions(options),
        )
  ) as ChildProcessByStdio<Writable | null, Readable, Readable>;
  if (options.stdin !== undefined) child.stdin?.end(options.stdin);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (stdout += chunk));
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timer = setTimeout(() => {
    stderr += `\n[test] batchpilot ${args.join(' ')} still running after ${String(timeoutMs)} ms: killed\n`;
    killOwned(child);
  }, timeoutMs);
  const done = (async (): Promise<CliResult> => {
    const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
    clearTimeout(timer);
    return { code, signal, stdout, stderr };
  })();
  const cli: CliProcess = {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    done,
  };
  running.add(cli);
  void done.then(() => running.delete(cli));
  return cli;
}

export async function runCli(args: readonly string[], options: CliOptions): Promise<CliResult> {
  return startCli(args, options).done;
}

export interface CliErrorOutput {
  code: string;
  message: string;
  context?: Record<string, unknown>;
}

export interface RunOutput {
  job_id: string;
  outcome: string;
  report: {
    state: string;
    counts: Record<string, number>;
    [key: string]: unknown;
  };
}

/** The JSON objects a `--json` run printed, one a line (a run can print its result, then an error). */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The `{"error": {...}}` a `--json` command printed, or undefined. */
export function cliError(result: CliResult): CliErrorOutput | undefined {
  const found = jsonLines(result.stdout).find((value) => 'error' in value);
  return found === undefined ? undefined : (found['error'] as CliErrorOutput);
}

/** The `{"job_id", "outcome", "report"}` a `--json` run/resume/retry printed, or undefined. */
export function runOutput(result: CliResult): RunOutput | undefined {
  const found = jsonLines(result.stdout).find((value) => 'outcome' in value);
  return found as RunOutput | undefined;
}

/** Everything the process printed, for assertion messages. */
export function describeResult(result: CliResult): string {
  return `exit ${String(result.code)} signal ${String(result.signal)}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

export async function delay(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every 10 ms until it holds; fails after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${String(timeoutMs)} ms waiting for ${what}`);
    await delay(10);
  }
}
