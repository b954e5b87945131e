import { type Command, Option } from 'commander';
import { loadConfig } from '../../config/load-config.ts';
import { readSchedulerStatus, type SchedulerStatus } from '../../scheduler/read-scheduler-status.ts';
import { toSchedulerSettings, type SchedulerSettings } from '../../scheduler/scheduler-settings.ts';
import { ensureScheduler, readLiveScheduler } from '../../scheduler/start-scheduler.ts';
import { schedulerLogPath } from '../../scheduler/scheduler-paths.ts';
import { createSchedulerStore, createStore } from '../../store/create-store.ts';
import { globalOptions } from '../global-options.ts';
import { DEFAULT_CONFIG_FILES_HELP } from './config-options.ts';
import { exitCodeFor } from '../../errors/index.ts';

/** How long `scheduler stop` waits for the scheduler to stop its jobs and exit. */
const STOP_WAIT_MS = 60_000;

/**
 * `scheduler status|start|stop|serve`: the one background scheduler of the workspace that
 * runs `run --detach` jobs (see src/scheduler/serve-scheduler.ts).
 */
export function registerSchedulerCommand(program: Command): void {
  const scheduler = program
    .command('scheduler')
    .description('the background scheduler of the workspace, which runs "run --detach" jobs');
  scheduler
    .command('status')
    .description('whether a scheduler runs (pid, since) and its running and queued jobs')
    .action(async (_values: unknown, command: Command) => showStatus(command));
  addSettingsOptions(
    scheduler.command('start').description('start a scheduler in the background unless one runs'),
  ).action(async (values: Record<string, unknown>, command: Command) => startScheduler(values, command));
  scheduler
    .command('stop')
    .description('stop the scheduler: its jobs finish in-flight requests, commit and stay queued; it then exits')
    .action(async (_values: unknown, command: Command) => stopScheduler(command));
  addSettingsOptions(
    scheduler.command('serve').description('run the scheduler in the foreground (what "start" runs in the background)'),
  )
    .addOption(new Option('--lock-token <token>', 'lock token taken for this process by its starter').hideHelp())
    .action(async (values: Record<string, unknown>, command: Command) => serve(values, command));
  for (const command of scheduler.commands) command.exitOverride();
  scheduler.exitOverride();
}

function addSettingsOptions(command: Command): Command {
  return command
    .option('--config <file>', `config file for limits.max_jobs and scheduler.* (${DEFAULT_CONFIG_FILES_HELP})`)
    .option(
      '--set <key=value>',
      'set a config key, e.g. --set scheduler.max_concurrency=512 (repeatable)',
      (value: string, previous: string[]) => [...previous, value],
      [],
    );
}

/**
 * `limits.max_jobs` and `scheduler.*` from the config, as `run` would load it here. The
 * scheduler sends nothing itself (each job has its own stored config), so `base_url` and
 * the key are not required: that is all `simulate` changes in loading.
 */
async function resolveSettings(values: Record<string, unknown>): Promise<SchedulerSettings> {
  const { config, warnings } = await loadConfig({
    cwd: process.cwd(),
    ...(typeof values['config'] === 'string' ? { configPath: values['config'] } : {}),
    env: process.env,
    flags: { set: Array.isArray(values['set']) ? (values['set'] as string[]) : [] },
    simulate: true,
  });
  for (const warning of warnings) {
    if (!warning.includes('api_key')) process.stderr.write(`batchpilot: warning: ${warning}\n`);
  }
  const keyEnv = config.api_key_env;
  if ((process.env[keyEnv] ?? '') === '') {
    // Said at once, here, rather than found later as jobs that never ran: the scheduler reads keys from its
    // own environment unless a job's `--detach` hands one over, and it does not start a job that needs a key it lacks.
    process.stderr.write(
      `batchpilot: warning: this shell has no $${keyEnv}; the scheduler runs jobs whose "run --detach" or "resume --detach" hands their key over, and leaves a job that needs a key it lacks unstarted (API_KEY_MISSING in scheduler.log); set ${keyEnv} here to give it one\n`,
    );
  }
  return toSchedulerSettings(config);
}

async function showStatus(command: Command): Promise<void> {
  const { workspace, json, workspaceExists } = globalOptions(command);
  if (!workspaceExists) {
    // Asking must not create a workspace: with none, no scheduler can serve one.
    const none: SchedulerStatus = {
      running: false,
      pid: null,
      host: null,
      since: null,
      heartbeat_age_ms: null,
      stop_requested: false,
      settings: null,
      log: schedulerLogPath(workspace),
      jobs: { running: [], queued: [] },
    };
    process.stdout.write(`${json ? JSON.stringify(none) : formatStatus(none)}\n`);
    return;
  }
  const store = createStore({ workspace });
  const schedulerStore = createSchedulerStore({ workspace });
  try {
    const status = await readSchedulerStatus(store, schedulerStore, workspace, Date.now());
    process.stdout.write(`${json ? JSON.stringify(status) : formatStatus(status)}\n`);
  } finally {
    await schedulerStore.close();
    await store.close();
  }
}

function formatStatus(status: SchedulerStatus): string {
  const jobs = (list: SchedulerStatus['jobs']['running']): string =>
    list.length === 0 ? '-' : list.map((job) => `${job.job_id} (${job.state})`).join(', ');
  const lines = [
    status.running
      ? `scheduler running: pid ${String(status.pid)} on ${String(status.host)} since ${String(status.since)}${status.stop_requested ? ', stopping' : ''}`
      : 'no scheduler running; "batchpilot scheduler start" or "batchpilot run INPUT --detach" starts one',
  ];
  if (status.settings !== null) {
    lines.push(
      `settings  ${Object.entries(status.settings)
        .map(([key, value]) => `${key} ${String(value)}`)
        .join(', ')}`,
    );
  }
  lines.push(
    `running   ${jobs(status.jobs.running)}`,
    `queued    ${jobs(status.jobs.queued)}`,
    `log       ${status.log}`,
  );
  return lines.join('\n');
}

async function startScheduler(values: Record<string, unknown>, command: Command): Promise<void> {
  const { workspace, json } = globalOptions(command);
  const settings = await resolveSettings(values);
  const schedulerStore = createSchedulerStore({ workspace });
  try {
    const { pid, started } = await ensureScheduler(schedulerStore, { workspace, settings, env: process.env });
    const message = started ? `scheduler started: pid ${String(pid)}` : `a scheduler already runs: pid ${String(pid)}`;
    process.stdout.write(`${json ? JSON.stringify({ pid, started }) : message}\n`);
  } finally {
    await schedulerStore.close();
  }
}

async function stopScheduler(command: Command): Promise<void> {
  const { workspace, json, workspaceExists } = globalOptions(command);
  if (!workspaceExists) {
    process.stdout.write(`${json ? JSON.stringify({ stopped: true, pid: null }) : 'no scheduler running'}\n`);
    return;
  }
  const schedulerStore = createSchedulerStore({ workspace });
  try {
    const pid = await readLiveScheduler(schedulerStore);
    if (pid === undefined) {
      process.stdout.write(`${json ? JSON.stringify({ stopped: true, pid: null }) : 'no scheduler running'}\n`);
      return;
    }
    await schedulerStore.requestStop(Date.now());
    const deadline = Date.now() + STOP_WAIT_MS;
    while ((await readLiveScheduler(schedulerStore)) === pid && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const stopped = (await readLiveScheduler(schedulerStore)) !== pid;
    const message = stopped
      ? `scheduler ${String(pid)} stopped; its unfinished jobs resume when a scheduler starts again`
      : `scheduler ${String(pid)} is still stopping after ${String(STOP_WAIT_MS / 1000)} s; see "batchpilot scheduler status"`;
    process.stdout.write(`${json ? JSON.stringify({ stopped, pid }) : message}\n`);
  } finally {
    await schedulerStore.close();
  }
}

async function serve(values: Record<string, unknown>, command: Command): Promise<void> {
  const { workspace } = globalOptions(command);
  const settings = await resolveSettings(values);
  const store = createStore({ workspace });
  const schedulerStore = createSchedulerStore({ workspace });
  const stop = new AbortController();
  let signals = 0;
  const onSignal = (): void => {
    signals += 1;
    // Everything committed so far is safe; what was in flight is sent again on resume.
    if (signals > 1) process.exit(exitCodeFor('INTERRUPTED'));
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const { serveScheduler } = await import('../../scheduler/serve-scheduler.ts');
    await serveScheduler({
      store,
      schedulerStore,
      workspace,
      settings,
      lockToken: typeof values['lockToken'] === 'string' ? values['lockToken'] : undefined,
      env: process.env,
      log: (line) => process.stderr.write(`${new Date().toISOString()} scheduler ${String(process.pid)}: ${line}\n`),
      signal: stop.signal,
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await schedulerStore.close();
    await store.close();
  }
  // The lock is released and every job committed: a handle left open somewhere must not keep a daemon alive.
  setTimeout(() => process.exit(), 3000).unref();
}
