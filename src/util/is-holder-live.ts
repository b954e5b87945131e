import { hostname } from 'node:os';
import { isProcessAlive } from './is-process-alive.ts';

/** The process holding a job lease or the scheduler lock, as its heartbeat row has it. */
export interface Holder {
  pid: number;
  host: string;
  heartbeatAt: number;
}

/**
 * Whether a holder still counts: its heartbeat is younger than `staleMs`, and, on this host,
 * its pid still runs (a dead one on this host is taken over at once; elsewhere only once stale).
 */
export function isHolderLive(
  holder: Holder,
  now: number,
  staleMs: number,
  isAlive: (pid: number) => boolean = isProcessAlive,
): boolean {
  return now - holder.heartbeatAt < staleMs && (holder.host !== hostname() || isAlive(holder.pid));
}
