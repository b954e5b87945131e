import type pg from 'pg';
import type { JobLease } from '../../../core/job.ts';
import { StoreError } from '../../../errors/index.ts';
import { isHolderLive } from '../../../util/is-holder-live.ts';
import { jobNotFound } from '../../require-job.ts';
import { JOB_UPDATES, selectJob } from './jobs.ts';

/**
 * `LeaseStore.acquireLease` inside the caller's transaction: the job's row is locked (`FOR NO KEY UPDATE`), so two
 * processes taking the same lease are serialised as SQLite's write lock serialises them. A live holder with another
 * token refuses with `JOB_LOCKED`; a stale or dead one (`isHolderLive`) is taken over.
 */
export async function acquireLease(
  db: pg.ClientBase,
  jobId: string,
  lease: JobLease,
  staleMs: number,
  isProcessAlive: (pid: number) => boolean,
): Promise<void> {
  const row = await selectJob(db, jobId, true);
  if (row === undefined) throw jobNotFound(jobId);
  const current =
    row.lease_token === null
      ? null
      : { pid: row.lease_pid ?? 0, host: row.lease_host ?? '', heartbeatAt: row.lease_heartbeat_at ?? 0 };
  if (
    current !== null &&
    row.lease_token !== lease.token &&
    isHolderLive(current, lease.heartbeatAt, staleMs, isProcessAlive)
  ) {
    throw new StoreError(
      'JOB_LOCKED',
      `job ${jobId} is being run by process ${String(current.pid)} on ${current.host}; wait for it to end or stop it (Ctrl-C / kill ${String(current.pid)}) first`,
      { context: { jobId } },
    );
  }
  await db.query(JOB_UPDATES.setLease, [lease.pid, lease.host, lease.token, lease.heartbeatAt, jobId]);
}
