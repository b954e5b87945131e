import { randomUUID } from 'node:crypto';
import type { Server } from 'node:net';
import { storedKeyVariables } from '../config/stored-config.ts';
import { isLeaseLive } from '../engine/lease.ts';
import type { RunOutcome } from '../engine/run-outcome.ts';
import { CommitQueue } from '../engine/commit-queue.ts';
import { SlotPool } from '../engine/slot-pool.ts';
import { createHttpConnections, type HttpConnections } from '../providers/http-connections.ts';
import { readProxySettings } from '../config/proxy-settings.ts';
import { BatchpilotError } from '../errors/index.ts';
import type { SchedulerStore } from '../store/scheduler-store.ts';
import type { Store } from '../store/store.ts';
import { knownSecrets, redactSecrets } from '../util/redact.ts';
import { hasEndedSinceSubmitted } from './queued-job.ts';
import { runScheduledJob } from './run-scheduled-job.ts';
import { submissionSocketPath } from './scheduler-paths.ts';
import type { SchedulerSettings } from './scheduler-settings.ts';
import { takeSchedulerLock } from './start-scheduler.ts';
import { closeSubmissionServer, listenForSubmissions, type SubmissionReply } from './submission-socket.ts';

/**
 * The background scheduler of a workspace: one process that runs the jobs handed to it by
 * `run --detach`, several at once.
 *
 * State, all in the store, so a scheduler killed with -9 loses nothing:
 * - the lock row (pid + heartbeat, as a job lease): one scheduler per workspace; a second
 *   one is refused, a dead one's lock is taken over by the next start;
 * - the queue (jobs in submission order): a job stays queued until a run of it ends
 *   (completed, failed, cancelled); a job stopped with the scheduler, or left running by a
 *   dead one (its lease goes stale: `interrupted`), is resumed by the next scheduler.
 *
 * Each tick (or at once when a submission arrives) the scheduler heartbeats, looks for a
 * stop request, drops queued jobs that have ended, and starts queued jobs in order while
 * fewer than `maxJobs` run. A job another live process runs (a foreground `resume`) is left
 * alone. With nothing queued and nothing running for `idleExitS`, it releases the lock and
 * exits. Stopping (`scheduler stop`, SIGINT, SIGTERM) stops every job as Ctrl-C does and
 * leaves them queued.
 *
 * The API key never touches the store: it is in this process's environment (inherited from
 * the `--detach` that spawned it), or handed over by a later `--detach` through the
 * submission socket and kept in memory for that job.
 */

export interface ServeSchedulerOptions {
  store: Store;
  schedulerStore: SchedulerStore;
  workspace: string;
  settings: SchedulerSettings;
  /** The lock token a `--detach` took for this process; a fresh one when unset. */
  lockToken?: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  /** One line of the scheduler's own log (redacted here). */
  log: (line: string) => void;
  /** Aborting it stops the scheduler as `scheduler stop` does. */
  signal?: AbortSignal;
  /** @default 250 */
  tickMs?: number;
}

interface RunningJob {
  stop: AbortController;
  done: Promise<void>;
}

const HEARTBEAT_MS = 2_000;

/** Serves the workspace until stopped or idle; resolves once the lock is released. Refused with `SCHEDULER_RUNNING` while another scheduler lives. */
export async function serveScheduler(options: ServeSchedulerOptions): Promise<void> {
  const token = options.lockToken ?? randomUUID();
  await takeSchedulerLock(options.schedulerStore, token, options.settings);
  await new Scheduler(options, token).serve();
}

class Scheduler {
  private readonly options: ServeSchedulerOptions;
  private readonly token: string;
  private readonly pool: SlotPool;
  /** One set of keep-alive connections for all running jobs, sized to the shared request budget. */
  private readonly connections: HttpConnections;
  /** One group commit for all running jobs: one transaction per turn of the event loop, not one per job. */
  private readonly commits: CommitQueue;
  private readonly running = new Map<string, RunningJob>();
  /** Key variables handed over by `--detach`, per job; in memory only. */
  private readonly handedEnv = new Map<string, Record<string, string>>();
  private readonly socketPath: string;
  private stopReason: string | undefined;
  /** The loop ended for want of work (not a stop request). */
  private idle = false;
  private lockLost = false;
  private wakeTick: (() => void) | undefined;

  constructor(options: ServeSchedulerOptions, token: string) {
    this.options = options;
    this.token = token;
    this.pool = new SlotPool(options.settings.maxConcurrency);
    this.connections = createHttpConnections(options.settings.maxConcurrency, readProxySettings(options.env));
    this.commits = new CommitQueue(options.store);
    this.socketPath = submissionSocketPath(options.workspace);
  }

  async serve(): Promise<void> {
    const { settings, workspace, schedulerStore } = this.options;
    this.log(
      `serving ${workspace} (max_jobs ${String(settings.maxJobs)}, max_concurrency ${String(settings.maxConcurrency)}, idle_exit_s ${String(settings.idleExitS)})`,
    );
    const onAbort = (): void => this.requestStop('stop signal');
    this.options.signal?.addEventListener('abort', onAbort, { once: true });
    if (this.options.signal?.aborted === true) onAbort();
    try {
      for (;;) {
        const server = await this.listen();
        try {
          await this.loop();
        } finally {
          await this.drain();
          // Closing unlinks the socket by path: once the lock is lost, that path may be the new scheduler's.
          if (!this.lockLost) await closeSubmissionServer(server, this.socketPath);
        }
        if (this.lockLost) return;
        if (!this.idle) break;
        if (await schedulerStore.releaseLockIfIdle(this.token)) return;
        this.idle = false;
        this.stopReason = undefined;
        this.log('a job was queued while going idle; serving on');
      }
      await schedulerStore.releaseLock(this.token);
    } catch (error) {
      if (!this.lockLost) await schedulerStore.releaseLock(this.token).catch(() => undefined);
      throw error;
    } finally {
      await this.connections.destroy().catch(() => undefined);
      this.options.signal?.removeEventListener('abort', onAbort);
      this.log(`exiting (${this.stopReason ?? 'error'})`);
    }
  }

  /**
   * A scheduler without its socket would leave the path to whoever listens there first, and
   * a later `--detach` waiting for an answer: it refuses to start instead.
   */
  private async listen(): Promise<Server> {
    try {
      return await listenForSubmissions(this.socketPath, (submission) => this.accept(submission.jobId, submission.env));
    } catch (error) {
      if (error instanceof BatchpilotError) throw error;
      throw new BatchpilotError(
        'SCHEDULER_SOCKET_UNSAFE',
        `the scheduler cannot listen on its socket ${this.socketPath} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); remove the file if nothing uses it and start again`,
        { cause: error, context: { file: this.socketPath } },
      );
    }
  }

  /** Stops the running jobs as Ctrl-C does and waits for them, heartbeating meanwhile so the lock stays live. */
  private async drain(): Promise<void> {
    if (this.running.size === 0) return;
    for (const job of this.running.values()) job.stop.abort();
    const heartbeat = setInterval(() => {
      this.options.schedulerStore.heartbeatLock(this.token, Date.now()).catch(() => undefined);
    }, HEARTBEAT_MS);
    try {
      await Promise.all([...this.running.values()].map((job) => job.done));
    } finally {
      clearInterval(heartbeat);
    }
  }

  private async loop(): Promise<void> {
    const tickMs = this.options.tickMs ?? 250;
    const idleExitMs = this.options.settings.idleExitS * 1000;
    let idleSince = Date.now();
    let lastHeartbeat = Date.now();
    for (;;) {
      const now = Date.now();
      if (now - lastHeartbeat >= HEARTBEAT_MS) {
        lastHeartbeat = now;
        const lock = await this.options.schedulerStore.heartbeatLock(this.token, now);
        if (lock === undefined) {
          this.lockLost = true;
          this.requestStop('another scheduler took over the lock');
        } else if (lock.stopRequestedAt !== null) {
          this.requestStop('scheduler stop');
        }
      } else if (this.stopReason === undefined) {
        const lock = await this.options.schedulerStore.readLock();
        if (lock?.token === this.token && lock.stopRequestedAt !== null) this.requestStop('scheduler stop');
      }
      if (this.stopReason !== undefined) return;
      const left = await this.startQueuedJobs(now);
      if (left > 0 || this.running.size > 0) idleSince = now;
      else if (now - idleSince >= idleExitMs) {
        this.stopReason = `idle for ${String(this.options.settings.idleExitS)} s`;
        this.idle = true;
        return;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, tickMs);
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.wakeTick = done;
      });
      this.wakeTick = undefined;
    }
  }

  /** Starts queued jobs in order while there is room; returns how many jobs are still queued (running ones included). */
  private async startQueuedJobs(now: number): Promise<number> {
    const { store, schedulerStore } = this.options;
    let left = 0;
    for (const entry of await schedulerStore.listQueue()) {
      if (this.running.has(entry.jobId)) {
        left += 1;
        continue;
      }
      const job = await store.getJob(entry.jobId);
      if (job === undefined || hasEndedSinceSubmitted(job, entry)) {
        await schedulerStore.dequeue(entry.jobId, entry.submittedAt);
        continue;
      }
      left += 1;
      // Run by another live process (a foreground resume): its lease protects it; look again later.
      if (this.running.size >= this.options.settings.maxJobs || isLeaseLive(job.lease, now)) continue;
      this.start(entry.jobId);
    }
    return left;
  }

  private start(jobId: string): void {
    const stop = new AbortController();
    // A submission after this moment (`--detach` again while it runs) keeps the job queued for another run.
    const startedAt = Date.now();
    this.log(`job ${jobId} starting (${String(this.running.size + 1)} running)`);
    const done = runScheduledJob({
      store: this.options.store,
      workspace: this.options.workspace,
      jobId,
      env: { ...this.options.env, ...this.handedEnv.get(jobId) },
      pool: this.pool,
      connections: this.connections,
      commits: this.commits,
      signal: stop.signal,
    })
      .then(
        async (result) =>
          this.onJobEnd(
            jobId,
            startedAt,
            result.outcome,
            `${String(result.report.counts.succeeded)} succeeded, ${String(result.report.counts.failed)} failed, ${String(result.report.counts.missing)} missing`,
          ),
        async (error: unknown) => this.onJobError(jobId, startedAt, error),
      )
      .catch((error: unknown) => this.log(`job ${jobId}: ${String(error)}`))
      .finally(() => {
        this.running.delete(jobId);
        this.wakeTick?.();
      });
    this.running.set(jobId, { stop, done });
  }

  private async onJobEnd(jobId: string, startedAt: number, outcome: RunOutcome, summary: string): Promise<void> {
    this.log(`job ${jobId} ${outcome}: ${summary}`);
    // Stopped with the scheduler: stays queued, the next scheduler resumes it.
    if (outcome === 'interrupted') return;
    await this.leaveQueue(jobId, startedAt);
  }

  private async onJobError(jobId: string, startedAt: number, error: unknown): Promise<void> {
    if (error instanceof BatchpilotError && error.code === 'JOB_LOCKED') {
      this.log(`job ${jobId} is run by another process; waiting for it`);
      return;
    }
    const message =
      error instanceof BatchpilotError ? `${error.code}: ${error.message}` : String((error as Error).stack ?? error);
    // Trying again would fail the same way (changed input, bad config, ...): the job leaves the queue.
    this.log(
      `job ${jobId} failed to run and leaves the queue; fix it and run "batchpilot resume ${jobId}" (${message})`,
    );
    await this.leaveQueue(jobId, startedAt);
  }

  private async leaveQueue(jobId: string, startedAt: number): Promise<void> {
    await this.options.schedulerStore.dequeue(jobId, startedAt);
    const entry = (await this.options.schedulerStore.listQueue()).find((queued) => queued.jobId === jobId);
    if (entry === undefined) this.handedEnv.delete(jobId);
  }

  /**
   * A `--detach` joining this scheduler hands over its key variables before it queues the
   * job; only those the job's config names are kept.
   */
  private async accept(jobId: string, env: Record<string, string>): Promise<SubmissionReply> {
    const job = await this.options.store.getJob(jobId);
    if (job === undefined) return { ok: false, reason: `no job ${jobId}` };
    const keyEnv = job.config.api_key_env;
    const names = storedKeyVariables(keyEnv);
    const kept: Record<string, string> = {};
    for (const [name, value] of Object.entries(env)) {
      if (names.includes(name)) kept[name] = value;
    }
    this.handedEnv.set(jobId, kept);
    return { ok: true };
  }

  private requestStop(reason: string): void {
    if (this.stopReason !== undefined) return;
    this.stopReason = reason;
    this.log(`stopping (${reason}); running jobs finish their in-flight requests and stay queued`);
    for (const job of this.running.values()) job.stop.abort();
    this.wakeTick?.();
  }

  private log(line: string): void {
    this.options.log(redactSecrets(line, knownSecrets()));
  }
}
