import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Job } from '../core/job.ts';
import type { LeaseStore } from '../store/store.ts';
import type { Clock } from '../util/clock.ts';
import { isHolderLive } from '../util/is-holder-live.ts';

/** A lease whose heartbeat is older than this is stale: its job shows as interrupted. */
export const LEASE_STALE_MS = 15_000;
const HEARTBEAT_MS = 2_000;

export interface HeldLease {
  token: string;
  /** Heartbeat now, so the job's active time counts this run up to now (the report reads it). */
  flush(): Promise<void>;
  release(): Promise<void>;
}

/**
 * Takes the job's lease (pid + heartbeat) and keeps it fresh. A second live process is
 * refused (`JOB_LOCKED`); a dead holder's lease is taken over at once on the same host,
 * or once stale elsewhere.
 */
export async function holdLease(store: LeaseStore, jobId: string, clock: Clock): Promise<HeldLease> {
  const token = randomUUID();
  await store.acquireLease(
    jobId,
    { pid: process.pid, host: hostname(), token, heartbeatAt: clock.now() },
    LEASE_STALE_MS,
  );
  // Each heartbeat also adds the time since the previous one to the job's active time, so
  // `report.json` covers every run of the job, killed ones included (less their last beat).
  const timer = setInterval(() => {
    store.heartbeat(jobId, token, clock.now(), LEASE_STALE_MS).catch(() => undefined);
  }, HEARTBEAT_MS);
  timer.unref();
  return {
    token,
    async flush() {
      await store.heartbeat(jobId, token, clock.now(), LEASE_STALE_MS);
    },
    async release() {
      clearInterval(timer);
      await store.releaseLease(jobId, token);
    },
  };
}

/** A job's state as shown to users: one marked running (or finalizing) whose lease is not live was interrupted. */
export function effectiveState(job: Pick<Job, 'state' | 'lease'>, now: number): string {
  if ((job.state === 'running' || job.state === 'finalizing') && !isLeaseLive(job.lease, now)) return 'interrupted';
  return job.state;
}

/** Whether a job marked running is really running: its lease is fresh, and its pid alive if on this host. */
export function isLeaseLive(lease: { heartbeatAt: number; pid: number; host: string } | null, now: number): boolean {
  return lease !== null && isHolderLive(lease, now, LEASE_STALE_MS);
}
