import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { BatchpilotError, toStorageFault } from '../errors/index.ts';
import { storePathOf } from '../store/create-store.ts';
import { knownSecrets, redactSecrets } from '../util/redact.ts';
import { registerCancelCommand } from './commands/cancel.ts';
import { registerCollectCommand } from './commands/collect.ts';
import { registerPlanCommand } from './commands/plan.ts';
import { registerPrepareCommand } from './commands/prepare.ts';
import { registerIntegrateCommand } from './commands/integrate.ts';
import { registerSinkCommand } from './commands/sink.ts';
import { registerValidateCommand } from './commands/validate.ts';
import { registerLogsCommand } from './commands/logs.ts';
import { registerMonitorCommand } from './commands/monitor.ts';
import { registerResumeCommand } from './commands/resume.ts';
import { registerRunCommand } from './commands/run.ts';
import { registerSchedulerCommand } from './commands/scheduler.ts';
import { registerSimulateCommand } from './commands/simulate.ts';
import { registerStatusCommands } from './commands/status.ts';
import { registerWaitCommand } from './commands/wait.ts';
import { registerWorkerCommand } from './commands/worker.ts';
import { resolveWorkspace } from './workspace.ts';
import type { CommandExit } from './command-exit.ts';

/** The program; a command that ends without an error sets `exit.code` (see CommandExit). */
export function createProgram(exit: CommandExit = { code: 0 }): Command {
  const program = new Command('batchpilot')
    .description('Run large batches of AI-model requests reliably: limits, retries, resume, clean merged output.')
    .version(packageVersion(), '-V, --version')
    .option('--workspace <dir>', 'workspace folder (default: $BATCHPILOT_WORKSPACE or ./.batchpilot)')
    .option(
      '--store <url>',
      'PostgreSQL database for the job state, postgres://user@host:port/db (default: $BATCHPILOT_STORE, else the ' +
        "workspace's SQLite store); the job's files stay in the workspace",
    )
    .option('--json', 'machine-readable output')
    .showHelpAfterError('(run "batchpilot --help" for usage)')
    .exitOverride();
  registerRunCommand(program, exit);
  registerResumeCommand(program, exit);
  registerStatusCommands(program);
  registerCancelCommand(program, exit);
  registerPlanCommand(program);
  registerPrepareCommand(program);
  registerValidateCommand(program, exit);
  registerIntegrateCommand(program, exit);
  registerCollectCommand(program, exit);
  registerSinkCommand(program, exit);
  registerMonitorCommand(program);
  registerWaitCommand(program, exit);
  registerWorkerCommand(program, exit);
  registerLogsCommand(program);
  registerSimulateCommand(program);
  registerSchedulerCommand(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

function packageVersion(): string {
  // src/cli/ and dist/cli/ both sit two folders under the package root.
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

let outputGuarded = false;

/**
 * `batchpilot monitor JOB | head`: once the reader is gone, a write fails with EPIPE, which Node
 * raises as an unhandled stream error (a stack trace). A closed pipe is how a pipeline says it has
 * read enough, so the command ends at once and quietly, as a Unix tool ends on SIGPIPE; exit 0,
 * since nothing went wrong. A job this process was running stays resumable, as after any kill.
 */
function endQuietlyWhenOutputCloses(): void {
  if (outputGuarded) return;
  outputGuarded = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(0);
      throw error;
    });
  }
}

/**
 * The one place errors become exit codes (STYLE guideline 5): a `BatchpilotError` prints
 * its message and no stack; anything else is a bug and keeps its stack.
 */
export async function main(argv: readonly string[]): Promise<number> {
  endQuietlyWhenOutputCloses();
  const exit: CommandExit = { code: 0 };
  const program = createProgram(exit);
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv);
    return exit.code;
  } catch (thrown) {
    if (thrown instanceof CommanderError) {
      // Commander already printed the message (or help); help and version are not errors.
      return thrown.exitCode === 0 ? 0 : 2;
    }
    const workspace = resolveWorkspace(program.opts<{ workspace?: string }>().workspace, process.env, process.cwd());
    // A full disk or a damaged store is the machine's state, not a bug: a clear message, no stack.
    const error = toStorageFault(thrown, { storePath: storePathOf(workspace.dir) }) ?? thrown;
    if (error instanceof BatchpilotError) {
      const message = redactSecrets(error.message, knownSecrets());
      if (json) {
        process.stdout.write(`${JSON.stringify({ error: { code: error.code, message, context: error.context } })}\n`);
      } else {
        process.stderr.write(`batchpilot: ${message}\n`);
      }
      return error.exitCode;
    }
    process.stderr.write(
      `batchpilot: internal error: ${redactSecrets(String((error as Error).stack ?? error), knownSecrets())}\n`,
    );
    return 1;
  }
}
