import type { Database } from 'better-sqlite3';
import type { JobLease } from '../../../core/job.ts';
import { StoreError } from '../../../errors/index.ts';
import { isHolderLive } from '../../../util/is-holder-live.ts';
import { jobNotFound } from '../../require-job.ts';
import type { prepareJobQueries } from './jobs.ts';

/**
 * `LeaseStore.acquireLease` as one transaction (the caller runs it `.immediate()`, so two
 * processes taking the same lease are serialised): a live holder with another token refuses
 * with `JOB_LOCKED`; a stale or dead one (`isHolderLive`) is taken over.
 *
 * @internal Left out of the .d.ts (stripInternal): its inferred type names better-sqlite3's unexported namespace.
 */
export function prepareAcquireLease(
  db: Database,
  jobs: Pick<ReturnType<typeof prepareJobQueries>, 'get' | 'setLease'>,
  isProcessAlive: (pid: number) => boolean,
) {
  return db.transaction((jobId: string, lease: JobLease, staleMs: number): void => {
    const row = jobs.get.get(jobId);
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
    jobs.setLease.run(lease.pid, lease.host, lease.token, lease.heartbeatAt, jobId);
  });
}
