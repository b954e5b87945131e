import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jobDirPath } from '../compose/job-paths.ts';
import { ENDED_JOB_STATES } from '../core/states.ts';
import { isLeaseLive } from '../engine/lease.ts';
import { BatchpilotError } from '../errors/index.ts';
import { isProcessAlive } from '../util/is-process-alive.ts';
import { spawnBackgroundCli } from '../util/spawn-background-cli.ts';
import type { Store } from '../store/store.ts';
import { requireJob } from '../store/require-job.ts';
import { readJobStatus } from '../compose/status/job-status.ts';

export interface DetachSharedRunOptions {
  store: Store;
  workspace: string;
  /** The shared store's URL: handed to the background process in its environment, never on its command line. */
  storeUrl: string;
  jobId: string;
  json: boolean;
  /** `--no-work`: the background process only waits for the workers. */
  noWork: boolean;
  leaseS?: number | undefined;
}

/** How long `--detach` waits for the background process to take the job's lease before it says what went wrong. */
const START_TIMEOUT_MS = 30_000;

/**
 * `run --detach` / `resume --detach` with a shared store (docs/decisions/0031): the job's run goes to a background
 * process of its own (`resume JOB` in its own session, its output appended to `<job folder>/detached.log`), which
 * works on the job like any worker unless `--no-work`, waits for its end and writes the result files here. The
 * workspace's scheduler is not involved: its queue is in SQLite, and the job's state is in the shared store.
 * Prints the job's status once the background process holds the job; returns the exit code.
 */
export async function detachSharedRun(options: DetachSharedRunOptions): Promise<number> {
  const { store, workspace, jobId } = options;
  const log = join(jobDirPath(workspace, jobId), 'detached.log');
  const pid = spawnBackgroundCli(
    [
      '--workspace',
      workspace,
      'resume',
      jobId,
      '--no-progress',
      ...(options.noWork ? ['--no-work'] : []),
      ...(options.leaseS === undefined ? [] : ['--lease-s', String(options.leaseS)]),
    ],
    // The key stays in memory, inherited as this process has it; the URL (with its password) is not on argv.
    { what: 'the background run', logPath: log, env: { ...process.env, BATCHPILOT_STORE: options.storeUrl } },
  );
  const spawnedAt = Date.now();
  const deadline = spawnedAt + START_TIMEOUT_MS;
  for (;;) {
    const job = await requireJob(store, jobId);
    // Started: the background process holds the job and has marked it running. It takes the lease a moment before
    // the state moves on, and a short job may even have ended between two looks.
    const running = job.state === 'running' && job.lease?.pid === pid && isLeaseLive(job.lease, Date.now());
    const endedSince = ENDED_JOB_STATES.has(job.state) && (job.finishedAt ?? 0) >= spawnedAt;
    if (running || endedSince) {
      const status = await readJobStatus(store, job, Date.now());
      const shown = { ...status, log, detached: { pid } };
      process.stdout.write(
        options.json
          ? `${JSON.stringify(shown)}\n`
          : `job ${jobId} runs in the background (pid ${String(pid)}); its output: ${log}\n`,
      );
      return 0;
    }
    if (!isProcessAlive(pid) || Date.now() > deadline) {
      const tail = readFileSync(log, 'utf8').trim().split('\n').slice(-3).join(' | ');
      throw new BatchpilotError(
        'JOB_START_FAILED',
        `the background run of job ${jobId} did not start (${tail || 'no output'}); see ${log}, fix what it says and run "batchpilot resume ${jobId} --detach"`,
        { context: { jobId, file: log } },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
