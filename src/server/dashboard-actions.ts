import { spawn } from 'node:child_process';
import { cliArguments } from '../util/spawn-background-cli.ts';

/**
 * What the dashboard's buttons do (docs/decisions/0038): each one is the CLI command a user would type, run as a child
 * process of the dashboard, so it takes the same path with the same caps, approvals and errors. `resume`, `retry` and
 * `reask` (`retry --invalid`) hand the job to the background scheduler (`--detach`) and return at once.
 */
export const DASHBOARD_ACTIONS = {
  cancel: (jobId: string) => ['cancel', jobId, '--no-progress'],
  resume: (jobId: string) => ['resume', jobId, '--detach'],
  retry: (jobId: string) => ['retry', jobId, '--detach'],
  reask: (jobId: string) => ['retry', jobId, '--invalid', '--detach'],
  validate: (jobId: string) => ['validate', jobId],
  integrate: (jobId: string) => ['integrate', jobId],
} as const satisfies Record<string, (jobId: string) => string[]>;

export type DashboardAction = keyof typeof DASHBOARD_ACTIONS;

export function isDashboardAction(name: string): name is DashboardAction {
  return Object.hasOwn(DASHBOARD_ACTIONS, name);
}

export interface ActionResult {
  action: DashboardAction;
  /** The command's exit code (0: done; see the README's exit codes). */
  exit_code: number | null;
  /** What `--json` printed: the command's result or its error (`{ error: { code, message } }`). */
  output: unknown;
  /** Its stderr's last lines (warnings, or why it failed when it printed no JSON). */
  log: string;
}

/** An action that takes longer is stopped (every command is safe to stop; run it again to go on). */
const ACTION_TIMEOUT_MS = 120_000;
const LOG_TAIL_CHARS = 2_000;

export interface RunActionOptions {
  workspace: string;
  /** A shared store's URL: given to the child in its environment, never on its command line (`ps` shows that). */
  storeUrl?: string | undefined;
  env: NodeJS.ProcessEnv;
}

/** Runs `action` on `jobId` as `batchpilot --json --workspace WS ACTION JOB ...` and reports what it said. */
export async function runDashboardAction(
  action: DashboardAction,
  jobId: string,
  options: RunActionOptions,
): Promise<ActionResult> {
  // `batchpilot ui` is this process: the action runs from its entry, as the scheduler does.
  const args = cliArguments(
    ['--json', '--workspace', options.workspace, ...DASHBOARD_ACTIONS[action](jobId)],
    `the ${action} command`,
  );
  const env = { ...options.env };
  if (options.storeUrl === undefined) delete env['BATCHPILOT_STORE'];
  else env['BATCHPILOT_STORE'] = options.storeUrl;
  const child = spawn(process.execPath, args, { cwd: process.cwd(), env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-LOG_TAIL_CHARS)));
  const timer = setTimeout(() => {
    stderr += `\nstopped after ${String(ACTION_TIMEOUT_MS / 1000)} s; run it again to go on`;
    child.kill('SIGTERM');
  }, ACTION_TIMEOUT_MS);
  const exitCode = await new Promise<number | null>((resolve) => {
    child.once('error', (error) => {
      stderr += `\ncannot start the CLI: ${error.message}`;
      resolve(null);
    });
    child.once('close', (code) => resolve(code));
  }).finally(() => clearTimeout(timer));
  return { action, exit_code: exitCode, output: lastJson(stdout), log: stderr.trim() };
}

/** What a command printed as JSON: the whole of `text`, else its last line that is a JSON object, else null. */
function lastJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Several lines, one object each: the result or error comes last.
  }
  const lines = text.trim().split('\n').reverse();
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    try {
      return JSON.parse(line) as unknown;
    } catch {
      continue;
    }
  }
  return null;
}
