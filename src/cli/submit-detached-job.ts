import type { ResolvedConfig } from '../config/config-schema.ts';
import { storedKeyVariables } from '../config/stored-config.ts';
import { jobLogPath } from '../compose/job-paths.ts';
import { ensureSubmissionSocketFolder, schedulerLogPath, submissionSocketPath } from '../scheduler/scheduler-paths.ts';
import { toSchedulerSettings } from '../scheduler/scheduler-settings.ts';
import { ensureScheduler, readLiveScheduler } from '../scheduler/start-scheduler.ts';
import { sendSubmission } from '../scheduler/submission-socket.ts';
import { createSchedulerStore } from '../store/create-store.ts';
import type { Store } from '../store/store.ts';
import { readJobStatus, type JobStatus } from '../compose/status/job-status.ts';
import { requireJob } from '../store/require-job.ts';

export interface SubmitDetachedJobOptions {
  store: Store;
  workspace: string;
  /** A created job, or an existing one to carry on (its cancel request is cleared, as `resume` does). */
  jobId: string;
  /** The job's resolved config: which variable holds its key, and the settings of a scheduler started now. */
  config: ResolvedConfig;
  json: boolean;
}

/** `run --detach` prints this: the job's status, its log, and the scheduler it went to. */
export interface DetachedJobStatus extends JobStatus {
  log: string;
  scheduler: {
    pid: number;
    started: boolean;
    /** A `scheduler stop` is under way: the job waits for the next scheduler. */
    stopping: boolean;
    log: string;
    settings: Record<string, unknown> | null;
  };
}

/** How long a `--detach` waits for a scheduler that is still starting to take the key. */
const HANDOVER_TIMEOUT_MS = 5_000;

/**
 * `run --detach`: hands a job to the workspace's background scheduler (starting one when
 * none runs) and prints the job's status at once; the job runs in the scheduler. Returns
 * the exit code (0).
 *
 * The key reaches the scheduler without touching disk: a scheduler started here inherits
 * this process's environment; a running one gets the job's key variables over its
 * submission socket, before the job is queued so it never starts without them. The socket's
 * folder is made or checked first (private to this user), so an unsafe one refuses the job
 * with `SCHEDULER_SOCKET_UNSAFE` before it is queued or a scheduler is started.
 */
export async function submitDetachedJob(options: SubmitDetachedJobOptions): Promise<number> {
  const { store, workspace, jobId, config } = options;
  const schedulerStore = createSchedulerStore({ workspace });
  try {
    await store.clearCancelRequest(jobId);
    const socketPath = submissionSocketPath(workspace);
    await ensureSubmissionSocketFolder(workspace);
    const runningPid = await readLiveScheduler(schedulerStore);
    const keyEnv = keyVariables(config);
    if (runningPid !== undefined && Object.keys(keyEnv).length > 0) {
      const reply = await sendSubmission(socketPath, { jobId, env: keyEnv }, HANDOVER_TIMEOUT_MS);
      if (reply?.ok !== true) {
        process.stderr.write(
          `batchpilot: warning: scheduler ${String(runningPid)} did not take this job's key (${reply?.reason ?? 'no answer'}); it uses the key in its own environment\n`,
        );
      }
    }
    await schedulerStore.enqueue(jobId, Date.now());
    const scheduler = await ensureScheduler(schedulerStore, {
      workspace,
      settings: toSchedulerSettings(config),
      env: process.env,
    });
    const job = await requireJob(store, jobId);
    const lock = await schedulerStore.readLock();
    const stopping = !scheduler.started && lock?.pid === scheduler.pid && lock.stopRequestedAt !== null;
    if (stopping) {
      process.stderr.write(
        `batchpilot: warning: scheduler ${String(scheduler.pid)} is stopping; job ${jobId} stays queued and starts with the next "batchpilot scheduler start" or "run --detach"\n`,
      );
    }
    const status: DetachedJobStatus = {
      ...(await readJobStatus(store, job, Date.now())),
      log: jobLogPath(workspace, jobId),
      scheduler: {
        pid: scheduler.pid,
        started: scheduler.started,
        stopping,
        log: schedulerLogPath(workspace),
        settings: lock?.settings ?? null,
      },
    };
    process.stdout.write(`${options.json ? JSON.stringify(status) : JSON.stringify(status, null, 2)}\n`);
    return 0;
  } finally {
    await schedulerStore.close();
  }
}

/** The variables the scheduler may need to read this job's key from, as set here. */
function keyVariables(config: ResolvedConfig): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of storedKeyVariables(config.api_key_env)) {
    const value = process.env[name];
    if (value !== undefined && value !== '') env[name] = value;
  }
  return env;
}
