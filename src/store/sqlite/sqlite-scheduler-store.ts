import type { Database as SqliteDatabase } from 'better-sqlite3';
import { StoreError } from '../../errors/index.ts';
import { isHolderLive } from '../../util/is-holder-live.ts';
import { isProcessAlive } from '../../util/is-process-alive.ts';
import type { NewSchedulerLock, QueueEntry, SchedulerLock, SchedulerStore } from '../scheduler-store.ts';
import { openDatabase } from './open-database.ts';
import type { SqliteStoreOptions } from './sqlite-store.ts';

/** As the job store's: the same `state.db`, on a connection of its own. */
export type SqliteSchedulerStoreOptions = SqliteStoreOptions;

interface LockRow {
  pid: number;
  host: string;
  token: string;
  started_at: number;
  heartbeat_at: number;
  stop_requested_at: number | null;
  settings_json: string;
}

interface QueueRow {
  job_id: string;
  position: number;
  submitted_at: number;
}

function toLock(row: LockRow): SchedulerLock {
  return {
    pid: row.pid,
    host: row.host,
    token: row.token,
    startedAt: row.started_at,
    heartbeatAt: row.heartbeat_at,
    stopRequestedAt: row.stop_requested_at,
    settings: JSON.parse(row.settings_json) as Record<string, unknown>,
  };
}

/**
 * The scheduler's lock and queue in the workspace's SQLite file, on a connection of its own
 * (WAL lets it sit beside the job store's). Each method is one statement or one immediate
 * transaction.
 */
export class SqliteSchedulerStore implements SchedulerStore {
  private readonly db: SqliteDatabase;
  private readonly isProcessAlive: (pid: number) => boolean;
  private readonly statements;

  constructor(options: SqliteSchedulerStoreOptions) {
    this.db = openDatabase(options.path);
    this.isProcessAlive = options.isProcessAlive ?? isProcessAlive;
    const db = this.db;
    this.statements = {
      getLock: db.prepare<[], LockRow>('SELECT * FROM scheduler_lock WHERE id = 1'),
      putLock: db.prepare<[number, string, string, number, number, string]>(
        `INSERT OR REPLACE INTO scheduler_lock (id, pid, host, token, started_at, heartbeat_at, stop_requested_at, settings_json)
         VALUES (1, ?, ?, ?, ?, ?, NULL, ?)`,
      ),
      refreshLock: db.prepare<[number, string, number, string, string]>(
        'UPDATE scheduler_lock SET pid = ?, host = ?, heartbeat_at = ?, settings_json = ? WHERE token = ?',
      ),
      setPid: db.prepare<[number, string]>('UPDATE scheduler_lock SET pid = ? WHERE token = ?'),
      heartbeat: db.prepare<[number, string]>('UPDATE scheduler_lock SET heartbeat_at = ? WHERE token = ?'),
      requestStop: db.prepare<[number]>(
        'UPDATE scheduler_lock SET stop_requested_at = COALESCE(stop_requested_at, ?) WHERE id = 1',
      ),
      release: db.prepare<[string]>('DELETE FROM scheduler_lock WHERE token = ?'),
      enqueue: db.prepare<[string, number]>(
        `INSERT INTO scheduler_queue (job_id, submitted_at) VALUES (?, ?)
         ON CONFLICT (job_id) DO UPDATE SET submitted_at = excluded.submitted_at`,
      ),
      dequeue: db.prepare<[string, number]>('DELETE FROM scheduler_queue WHERE job_id = ? AND submitted_at <= ?'),
      countQueued: db.prepare<[], { count: number }>('SELECT COUNT(*) AS count FROM scheduler_queue'),
      listQueue: db.prepare<[], QueueRow>(
        'SELECT job_id, position, submitted_at FROM scheduler_queue ORDER BY position',
      ),
    };
  }

  async readLock(): Promise<SchedulerLock | undefined> {
    const row = this.statements.getLock.get();
    return row === undefined ? undefined : toLock(row);
  }

  async acquireLock(lock: NewSchedulerLock, staleMs: number): Promise<void> {
    const settings = JSON.stringify(lock.settings);
    this.db
      .transaction(() => {
        const current = this.statements.getLock.get();
        if (current !== undefined && current.token === lock.token) {
          this.statements.refreshLock.run(lock.pid, lock.host, lock.now, settings, lock.token);
          return;
        }
        if (current !== undefined) {
          if (isHolderLive(toLock(current), lock.now, staleMs, this.isProcessAlive)) {
            throw new StoreError(
              'SCHEDULER_RUNNING',
              `a scheduler already serves this workspace: process ${String(current.pid)} on ${current.host}, since ${new Date(current.started_at).toISOString()}; see "batchpilot scheduler status", or stop it with "batchpilot scheduler stop"`,
            );
          }
        }
        this.statements.putLock.run(lock.pid, lock.host, lock.token, lock.now, lock.now, settings);
      })
      .immediate();
  }

  async setLockPid(token: string, pid: number): Promise<boolean> {
    return this.statements.setPid.run(pid, token).changes === 1;
  }

  async heartbeatLock(token: string, now: number): Promise<SchedulerLock | undefined> {
    if (this.statements.heartbeat.run(now, token).changes === 0) return undefined;
    const row = this.statements.getLock.get();
    return row === undefined || row.token !== token ? undefined : toLock(row);
  }

  async requestStop(now: number): Promise<boolean> {
    return this.statements.requestStop.run(now).changes === 1;
  }

  async releaseLock(token: string): Promise<void> {
    this.statements.release.run(token);
  }

  async releaseLockIfIdle(token: string): Promise<boolean> {
    return this.db
      .transaction(() => {
        if ((this.statements.countQueued.get()?.count ?? 0) > 0) return false;
        this.statements.release.run(token);
        return true;
      })
      .immediate();
  }

  async enqueue(jobId: string, now: number): Promise<void> {
    this.statements.enqueue.run(jobId, now);
  }

  async dequeue(jobId: string, submittedUpTo: number): Promise<void> {
    this.statements.dequeue.run(jobId, submittedUpTo);
  }

  async listQueue(): Promise<QueueEntry[]> {
    return this.statements.listQueue
      .all()
      .map((row) => ({ jobId: row.job_id, position: row.position, submittedAt: row.submitted_at }));
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
