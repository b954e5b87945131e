import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { LEASE_STALE_MS, isLeaseLive } from '../engine/lease.ts';
import { BatchpilotError } from '../errors/index.ts';
import type { SchedulerStore } from '../store/scheduler-store.ts';
import { spawnBackgroundCli } from '../util/spawn-background-cli.ts';
import { ensureSubmissionSocketFolder, schedulerLogPath } from './scheduler-paths.ts';
import { describeSettings, toSetFlags, type SchedulerSettings } from './scheduler-settings.ts';

export interface StartSchedulerOptions {
  workspace: string;
  /** What a new scheduler runs with (an already running one keeps its own). */
  settings: SchedulerSettings;
  /** The new scheduler's environment: where it reads API keys from. Never written anywhere. */
  env: NodeJS.ProcessEnv;
}

export interface SchedulerHandle {
  pid: number;
  /** This call started it (false: one was running already). */
  started: boolean;
}

/**
 * Makes sure a scheduler serves the workspace: returns the live one, or starts one in the
 * background. The lock is taken here first, under a fresh token, and the spawned scheduler
 * takes it over with that token; so two `--detach` at once start one scheduler, not two,
 * and the second one sees it at once even while it is still starting.
 */
export async function ensureScheduler(
  schedulerStore: SchedulerStore,
  options: StartSchedulerOptions,
): Promise<SchedulerHandle> {
  const running = await readLiveScheduler(schedulerStore);
  if (running !== undefined) return { pid: running, started: false };
  // A scheduler that could not listen safely would only say so in its log: refuse here, to the user.
  await ensureSubmissionSocketFolder(options.workspace);
  const token = randomUUID();
  try {
    await takeSchedulerLock(schedulerStore, token, options.settings);
  } catch (error) {
    const winner = error instanceof BatchpilotError && error.code === 'SCHEDULER_RUNNING';
    const pid = winner ? await readLiveScheduler(schedulerStore) : undefined;
    if (pid === undefined) throw error;
    return { pid, started: false };
  }
  let pid: number;
  try {
    pid = spawnScheduler(options, token);
  } catch (error) {
    await schedulerStore.releaseLock(token);
    throw error;
  }
  await schedulerStore.setLockPid(token, pid);
  return { pid, started: true };
}

/**
 * Takes the workspace's scheduler lock for this process under `token` (or refreshes it when
 * `token` holds it already); refused with `SCHEDULER_RUNNING` while another scheduler lives.
 */
export async function takeSchedulerLock(
  schedulerStore: SchedulerStore,
  token: string,
  settings: SchedulerSettings,
): Promise<void> {
  await schedulerStore.acquireLock(
    { pid: process.pid, host: hostname(), token, now: Date.now(), settings: describeSettings(settings) },
    LEASE_STALE_MS,
  );
}

/** The pid of the scheduler serving the workspace, when it lives. */
export async function readLiveScheduler(schedulerStore: SchedulerStore): Promise<number | undefined> {
  const lock = await schedulerStore.readLock();
  return lock !== undefined && isLeaseLive(lock, Date.now()) ? lock.pid : undefined;
}

/** `batchpilot scheduler serve` in the background, its output appended to `<workspace>/scheduler.log`. */
function spawnScheduler(options: StartSchedulerOptions, token: string): number {
  mkdirSync(options.workspace, { recursive: true, mode: 0o700 });
  return spawnBackgroundCli(
    ['--workspace', options.workspace, 'scheduler', 'serve', '--lock-token', token, ...toSetFlags(options.settings)],
    { what: 'the scheduler', logPath: schedulerLogPath(options.workspace), env: options.env },
  );
}
