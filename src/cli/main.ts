import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { BatchpilotError, toStorageFault } from '../errors/index.ts';
import { storePathOf } from '../store/store-path.ts';
import { knownSecrets, redactSecrets } from '../util/redact.ts';
import { limitHeapGrowth } from './limit-heap-growth.ts';
import { resolveWorkspace } from './workspace.ts';
import type { CommandExit } from './command-exit.ts';

type Register = (program: Command, exit: CommandExit) => void;

/**
 * Each command's module, by the names it registers. A start loads only the command it runs:
 * the modules behind all of them (the store drivers, undici, ajv, yaml, the engine) are most of
 * a start-up, and `--version` or `status` need none of the rest (decision 0036).
 */
export const COMMAND_MODULES: readonly (readonly [readonly string[], () => Promise<Register>])[] = [
  [['run'], async () => (await import('./commands/run.ts')).registerRunCommand],
  [['resume', 'retry'], async () => (await import('./commands/resume.ts')).registerResumeCommand],
  [['status', 'list'], async () => (await import('./commands/status.ts')).registerStatusCommands],
  [['cancel'], async () => (await import('./commands/cancel.ts')).registerCancelCommand],
  [['plan'], async () => (await import('./commands/plan.ts')).registerPlanCommand],
  [['prepare'], async () => (await import('./commands/prepare.ts')).registerPrepareCommand],
  [['validate'], async () => (await import('./commands/validate.ts')).registerValidateCommand],
  [['integrate'], async () => (await import('./commands/integrate.ts')).registerIntegrateCommand],
  [['collect'], async () => (await import('./commands/collect.ts')).registerCollectCommand],
  [['sink'], async () => (await import('./commands/sink.ts')).registerSinkCommand],
  [['monitor'], async () => (await import('./commands/monitor.ts')).registerMonitorCommand],
  [['wait'], async () => (await import('./commands/wait.ts')).registerWaitCommand],
  [['worker'], async () => (await import('./commands/worker.ts')).registerWorkerCommand],
  [['logs'], async () => (await import('./commands/logs.ts')).registerLogsCommand],
  [['simulate'], async () => (await import('./commands/simulate.ts')).registerSimulateCommand],
  [['scheduler'], async () => (await import('./commands/scheduler.ts')).registerSchedulerCommand],
  [['ui'], async () => (await import('./commands/ui.ts')).registerUiCommand],
];

/**
 * The program with the commands `argv` may run: the one it names, none for a bare `--version`,
 * all of them otherwise (help lists them; an unknown name is matched against them). A command that
 * ends without an error sets `exit.code` (see CommandExit).
 */
export async function createProgram(argv: readonly string[], exit: CommandExit = { code: 0 }): Promise<Command> {
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
  for (const register of await Promise.all(commandModulesFor(program, argv).map(([, load]) => load()))) {
    register(program, exit);
  }
  for (const command of program.commands) command.exitOverride();
  return program;
}

function commandModulesFor(program: Command, argv: readonly string[]): typeof COMMAND_MODULES {
  const name = commandName(program, argv);
  if (name === undefined) {
    const versionOnly = argv.includes('--version') || argv.includes('-V');
    return versionOnly && !argv.includes('--help') && !argv.includes('-h') ? [] : COMMAND_MODULES;
  }
  const named = COMMAND_MODULES.filter(([names]) => names.includes(name));
  return named.length > 0 ? named : COMMAND_MODULES;
}

/** The first word of `argv` (node, script, ...) that is neither an option nor the value of one of `program`'s. */
function commandName(program: Command, argv: readonly string[]): string | undefined {
  const takesValue = new Set(program.options.filter((option) => option.required).map((option) => option.long));
  for (let index = 2; index < argv.length; index++) {
    const word = argv[index]!;
    if (word === '--') return argv[index + 1];
    if (!word.startsWith('-')) return word;
    if (takesValue.has(word)) index++;
  }
  return undefined;
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
  limitHeapGrowth();
  const exit: CommandExit = { code: 0 };
  const program = await createProgram(argv, exit);
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
