import { readFileSync } from 'node:fs';

// Clock ticks per second of `/proc/<pid>/stat` times (USER_HZ): 100 on every Linux build that matters.
const USER_HZ = 100;

/**
 * When process `pid` started, in ms since the epoch, or `undefined` where it cannot be told
 * (no `/proc`, not Linux, the process is gone). Lets a caller tell a pid that was reused by a
 * newer process from the process that left something behind.
 */
export function processStartedAt(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    // Field 2 (comm) may hold spaces and parentheses: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startTicks = Number(fields[19]);
    const bootLine = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    if (!Number.isFinite(startTicks) || bootLine === null) return undefined;
    return Number(bootLine[1]) * 1000 + (startTicks * 1000) / USER_HZ;
  } catch {
    return undefined;
  }
}
