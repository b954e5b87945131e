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
import { dataJobRecordOf } from '../../compose/data-job-record.ts';
import { UsageError } from '../../errors/index.ts';
import { requireJob } from '../../store/require-job.ts';

/** What `retry JOB` sends again: the failed items, or with `--invalid` the answers that did not pass their check. */
type Reopen = 'failed' | 'invalid' | undefined;

export interface ResumeJobOptions {
  store: Store;
  workspace: string;
  /** The PostgreSQL URL `store` was opened with, for the threads of the run that open it too. */
  storeUrl?: string | undefined;
  jobId: string;
  json: boolean;
  flags: ConfigFlags;
  reopenFailed?: boolean;
  /** `retry JOB --invalid`: the answers that ended invalid or truncated are asked again first (decision 0039). */
  reaskInvalid?: boolean;
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
  if (options.reaskInvalid === true) await reopenForRetry(options.store, job.id, 'invalid');
  const doing =
    options.reaskInvalid === true ? 're-asking in' : options.reopenFailed === true ? 'retrying' : 'resuming';
  process.stderr.write(`batchpilot: ${doing} job ${job.id} (${job.state})\n`);
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
  reopen: Reopen,
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
  await reopenForRetry(store, job.id, reopen);
  const { submitDetachedJob } = await import('../submit-detached-job.ts');
  return submitDetachedJob({ store, workspace, jobId: job.id, config, json });
}

export function registerResumeCommand(program: Command, exit: CommandExit): void {
  registerResumeLike(program, exit, 'resume', 'carry on an interrupted or stopped job where it stopped', false);
  registerResumeLike(program, exit, 'retry', 'run the failed items of a job again (succeeded ones are kept)', true);
}

/**
 * Moves back to pending what a retry sends again, once the job passed its checks. `invalid` is only for a data job,
 * whose answers are checked: it says how many answers it re-asks, since none may be left to.
 */
async function reopenForRetry(store: Store, jobId: string, reopen: Reopen): Promise<void> {
  if (reopen === undefined) return;
  if (reopen === 'failed') {
    await store.reopenItems(jobId, 'failed');
    return;
  }
  const reopened = await store.reopenItems(jobId, 'invalid');
  process.stderr.write(
    `batchpilot: re-asking ${String(reopened)} answer${reopened === 1 ? '' : 's'} that ended invalid or truncated\n`,
  );
}

/** `retry --invalid` is refused for a job whose answers are not checked: it would re-ask nothing. */
async function assertReaskable(store: Store, jobId: string): Promise<void> {
  if (dataJobRecordOf(await requireJob(store, jobId)) !== undefined) return;
  throw new UsageError(
    'USAGE',
    `--invalid: job ${jobId} is not a data job (run DATA --prompts FILE), so its answers have no checks to re-ask; use "batchpilot retry ${jobId}" for its failed items`,
    { context: { flag: '--invalid', jobId } },
  );
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
  if (reopenFailed) {
    command.option(
      '--invalid',
      "instead of the failed items, ask again (once more each) a data job's answers that ended invalid or truncated, with their errors as feedback",
    );
  }
  addConfigOptions(command).action(async (jobId: string, values: Record<string, unknown>, command: Command) => {
    const global = globalOptions(command);
    const { workspace, json } = global;
    assertWorkspaceExists(global, jobId);
    const store = createStore({ workspace, url: global.store });
    const leaseS = readPositiveIntFlag(values, 'leaseS', '--lease-s');
    const reopen: Reopen = reopenFailed ? (values['invalid'] === true ? 'invalid' : 'failed') : undefined;
    try {
      if (reopen === 'invalid') await assertReaskable(store, jobId);
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
        await reopenForRetry(store, jobId, reopen);
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
        exit.code = await resumeDetached(store, workspace, jobId, values, json, reopen);
        return;
      }
      exit.code = await resumeJob({
        store,
        workspace,
        storeUrl: global.store,
        jobId,
        json,
        flags: readConfigFlags(values),
        reopenFailed: reopen === 'failed',
        reaskInvalid: reopen === 'invalid',
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
