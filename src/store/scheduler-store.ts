/**
 * What the background scheduler keeps in the workspace's state store: the one lock (which
 * process serves the workspace) and the queue of jobs handed to it. A contract of its own,
 * beside `Store`: the engine never sees it.
 *
 * Lock semantics are a job lease's (`isHolderLive`, util/is-holder-live.ts): a holder whose heartbeat is older
 * than `staleMs`, or whose pid is gone on this host, is taken over; a live one refuses
 * everybody else with `StoreError` `SCHEDULER_RUNNING`.
 */
export interface SchedulerStore {
  readLock(): Promise<SchedulerLock | undefined>;
  /**
   * Take the lock, or refresh it when `lock.token` already holds it (a `--detach` takes the
   * lock for the scheduler it spawns, which then takes it over with the same token).
   */
  acquireLock(lock: NewSchedulerLock, staleMs: number): Promise<void>;
  /** Hand a held lock to another pid (the spawned scheduler). False when `token` no longer holds it. */
  setLockPid(token: string, pid: number): Promise<boolean>;
  /** Refresh the heartbeat; returns the lock as it now stands, or undefined when `token` lost it. */
  heartbeatLock(token: string, now: number): Promise<SchedulerLock | undefined>;
  /** Ask the holder to stop; false when there is no lock row. */
  requestStop(now: number): Promise<boolean>;
  releaseLock(token: string): Promise<void>;
  /**
   * Release the lock only while no job is queued, in one transaction with the queue: a job
   * queued by a `--detach` that saw this scheduler alive is never left without one. False
   * (lock kept) when a job is queued.
   */
  releaseLockIfIdle(token: string): Promise<boolean>;

  /** Queue a job (or, when queued already, record the new submission time and keep its place). */
  enqueue(jobId: string, now: number): Promise<void>;
  /** Take a job off the queue, unless it was submitted again after `submittedUpTo` (then it stays, to run again). */
  dequeue(jobId: string, submittedUpTo: number): Promise<void>;
  /** Queued jobs in submission order. */
  listQueue(): Promise<QueueEntry[]>;

  close(): Promise<void>;
}

export interface NewSchedulerLock {
  pid: number;
  host: string;
  token: string;
  now: number;
  /** What the scheduler runs with (`max_jobs`, ...), for `scheduler status`. */
  settings: Record<string, unknown>;
}

export interface SchedulerLock {
  pid: number;
  host: string;
  token: string;
  startedAt: number;
  heartbeatAt: number;
  stopRequestedAt: number | null;
  settings: Record<string, unknown>;
}

export interface QueueEntry {
  jobId: string;
  /** Order of first submission: the scheduler starts jobs in this order. */
  position: number;
  /** The latest submission (`run --detach` again on an existing job updates it). */
  submittedAt: number;
}
