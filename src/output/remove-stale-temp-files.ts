import { readdir, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import { isProcessAlive } from '../util/is-process-alive.ts';
import { processStartedAt } from '../util/process-started-at.ts';

/** How `removeStaleTempFiles` tells a gone writer from a live one; injected in tests. */
export interface StaleTempOptions {
  /** @default the real check */
  isProcessAlive?: (pid: number) => boolean;
  /** @default the real check (Linux `/proc`) */
  processStartedAt?: (pid: number) => number | undefined;
}

/** Allowance between a file's mtime and a process start time read from `/proc` (tick rounding, clock steps). */
const START_SLACK_MS = 2_000;

/**
 * Removes the temp files an `AtomicFileWriter` for `target` left behind when its process was
 * killed (`.<name>.<pid>.tmp` beside it; one kill of a 1M-item job left 331 MB). Only files of
 * exactly that pattern, and only when their writer is gone: its pid is not alive, or the live
 * pid belongs to a process started after the file was last written (the pid was reused).
 * Returns the paths removed.
 */
export async function removeStaleTempFiles(target: string, options: StaleTempOptions = {}): Promise<string[]> {
  const alive = options.isProcessAlive ?? isProcessAlive;
  const startedAt = options.processStartedAt ?? processStartedAt;
  const prefix = `.${basename(target)}.`;
  const folder = dirname(target);
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const pidText = name.slice(prefix.length, -'.tmp'.length);
    if (!/^\d+$/.test(pidText)) continue;
    const pid = Number(pidText);
    if (pid === process.pid) continue;
    const path = join(folder, name);
    try {
      if (alive(pid)) {
        const started = startedAt(pid);
        const { mtimeMs } = await stat(path);
        if (started === undefined || started <= mtimeMs + START_SLACK_MS) continue;
      }
      await rm(path, { force: true });
      removed.push(path);
    } catch {
      // Gone already, or not ours to remove: leave it.
    }
  }
  return removed;
}
