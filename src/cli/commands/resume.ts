import type { Command } from 'commander';
import type { ConfigFlags } from '../../config/config-flags.ts';
import { toStoredConfig } from '../../config/load-config.ts';
import { createStore } from '../../store/create-store.ts';
import type { Store } from '../../store/store.ts';
import { assertWorkspaceExists, globalOptions } from '../global-options.ts';
import { readPositiveIntFlag } from '../parse-positive-int.ts';
import { addConfigOptions, hasConfigFlags, readApprovals, readConfigFlags } from './config-options.ts';
import { NO_APPROVALS, type Approvals } from '../../plan/check-safety-caps.ts';
import { prepareResume } from '../../compose/prepare-resume.ts';
import type { CommandExit } from '../command-exit.ts';

export interface ResumeJobOptions {
  store: Store;
  workspace: string;
  /** The PostgreSQL URL `store` was opened with, for the threads of the run that open it too. */
  storeUrl?: string | undefined;
  jobId: string;
  json: boolean;
  flags: ConfigFlags;
  reopenFailed?: boolean;
  progress?: boolean;
  /** Approval flags given now: a concurrency raised over limits.concurrency needs `--approve-concurrency`. */
  approvals?: Approvals;
  /** With a shared store: only wait while workers send (`--no-work`), and their lease (`--lease-s`). */
  noWork?: boolean | undefined;
  leaseS?: number | undefined;
}

/** Carries on a job with the config it was created with; flags given now win (e.g. a lower concurrency). */
export async function resumeJob(options: ResumeJobOptions): Promise<number> {
  const { job, config, warnings } = await prepareResume({
    workspace: options.workspace,
    store: options.store,
    jobId: options.jobId,
    env: process.env,
    flags: options.flags,
    approvals: options.approvals ?? NO_APPROVALS,
  });
  for (const warning of warnings) process.stderr.write(`batchpilot: warning: ${warning}\n`);
  process.stderr.write(`batchpilot: resuming job ${job.id} (${job.state})\n`);
  // Loaded when a job runs here: the engine and undici are a large part of a command's startup.
  const { executeJob } = await import('../execute-job.ts');
  return executeJob({
    store: options.store,
    workspace: options.workspace,
    storeUrl: options.storeUrl,
    jobId: job.id,
    config,
    json: options.json,
    reopenFailed: options.reopenFailed ?? false,
    progress: options.progress ?? true,
    noWork: options.noWork,
    leaseS: options.leaseS,
  });
}

/**
 * `resume JOB --detach` (and `retry JOB --detach`): the scheduler carries the job on (as `run INPUT --job JOB --detach` does), prepared as
 * `resume` prepares it (`prepareResume`), with flags given now kept in its stored config, since the scheduler reads the
 * config from the store.
 */
async function resumeDetached(
  store: Store,
  workspace: string,
  jobId: string,
  values: Record<string, unknown>,
  json: boolean,
  reopenFailed: boolean,
): Promise<number> {
  const flags = readConfigFlags(values);
  const { job, config, warnings } = await prepareResume({
    workspace: workspace,
    store,
    jobId,
    env: process.env,
    flags,
    approvals: readApprovals(values),
  });
  for (const warning of warnings) process.stderr.write(`batchpilot: warning: ${warning}\n`);
  if (hasConfigFlags(flags)) await store.setJobConfig(job.id, toStoredConfig(config));
  // `retry JOB --detach`: the failed items go back to pending once the job passed its checks, as a foreground retry
  // reopens them when its run starts; the scheduler's run then sends them.
  if (reopenFailed) await store.reopenItems(job.id, 'failed');
  const { submitDetachedJob } = await import('../submit-detached-job.ts');
  return submitDetachedJob({ store, workspace, jobId: job.id, config, json });
}

export function registerResumeCommand(program: Command, exit: CommandExit): void {
  registerResumeLike(program, exit, 'resume', 'carry on an interrupted or stopped job where it stopped', false);
  registerResumeLike(program, exit, 'retry', 'run the failed items of a job again (succeeded ones are kept)', true);
}

function registerResumeLike(
  program: Command,
  exit: CommandExit,
  name: string,
  description: string,
  reopenFailed: boolean,
): void {
  const command = program
    .command(name)
    .description(description)
    .argument('<job>', 'job id (see "batchpilot list")')
    .option('--no-progress', 'no progress display')
    .option(
      '--no-work',
      'with --store postgres://...: only wait for the job\'s end while "batchpilot worker" processes send it',
    )
    .option(
      '--lease-s <seconds>',
      'with --store postgres://...: take over the slices of a worker silent for this long',
    );
  command.option('--detach', 'hand the job to the background scheduler and print its status at once');
  addConfigOptions(command).action(async (jobId: string, values: Record<string, unknown>, command: Command) => {
    const global = globalOptions(command);
    const { workspace, json } = global;
    assertWorkspaceExists(global, jobId);
    const store = createStore({ workspace, url: global.store });
    const leaseS = readPositiveIntFlag(values, 'leaseS', '--lease-s');
    try {
      if (values['detach'] === true && global.store !== undefined) {
        const { detachSharedRun } = await import('../detach-shared-run.ts');
        // Checked here (the job, its key, the caps), and flags given now kept with the job, which the background
        // process reads from the store.
        const flags = readConfigFlags(values);
        const { config } = await prepareResume({
          workspace,
          store,
          jobId,
          env: process.env,
          flags,
          approvals: readApprovals(values),
        });
        if (hasConfigFlags(flags)) await store.setJobConfig(jobId, toStoredConfig(config));
        if (reopenFailed) await store.reopenItems(jobId, 'failed');
        exit.code = await detachSharedRun({
          store,
          workspace,
          storeUrl: global.store,
          jobId,
          json,
          noWork: values['work'] === false,
          leaseS,
        });
        return;
      }
      if (values['detach'] === true) {
        exit.code = await resumeDetached(store, workspace, jobId, values, json, reopenFailed);
        return;
      }
      exit.code = await resumeJob({
        store,
        workspace,
        storeUrl: global.store,
        jobId,
        json,
        flags: readConfigFlags(values),
        reopenFailed,
        progress: values['progress'] !== false,
        approvals: readApprovals(values),
        noWork: values['work'] === false,
        leaseS,
      });
    } finally {
      await store.close();
    }
  });
}
