import { open, stat } from 'node:fs/promises';
import { jobLogPath } from '../../compose/job-paths.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { isLeaseLive } from '../../engine/lease.ts';
import { createStore } from '../../store/create-store.ts';
import type { Store } from '../../store/store.ts';
import { knownSecrets, redactSecrets } from '../../util/redact.ts';
import { assertWorkspaceExists, globalOptions } from '../global-options.ts';
import { requireJob } from '../../store/require-job.ts';

const FOLLOW_POLL_MS = 250;

/** `logs JOB [--follow]`: the job's log, one line per event, redacted again on the way out. */
export function registerLogsCommand(program: Command): void {
  program
    .command('logs')
    .description("a job's log (redacted); --follow keeps printing until the job stops")
    .argument('<job>', 'job id (see "batchpilot list")')
    .option('--follow', 'keep printing new lines while the job runs')
    .action(async (jobId: string, values: Record<string, unknown>, command: Command) => {
      const options = globalOptions(command);
      const { workspace, json } = options;
      assertWorkspaceExists(options, jobId);
      const store = createStore({ workspace, url: options.store });
      try {
        await requireJob(store, jobId, workspace);
        const path = jobLogPath(workspace, jobId);
        const print = (line: string): void => {
          if (line.trim() === '') return;
          const safe = redactSecrets(line, knownSecrets());
          process.stdout.write(`${json ? safe : formatLogLine(safe)}\n`);
        };
        let offset = await printFrom(path, 0, print);
        if (values['follow'] !== true) return;
        while (await isRunning(store, jobId)) {
          await sleep(FOLLOW_POLL_MS);
          offset = await printFrom(path, offset, print);
        }
        await printFrom(path, offset, print);
      } finally {
        await store.close();
      }
    });
}

async function isRunning(store: Store, jobId: string): Promise<boolean> {
  const job = await store.getJob(jobId);
  return job !== undefined && isLeaseLive(job.lease, Date.now());
}

/** Prints the complete lines after `offset`; returns where the next read starts. */
async function printFrom(path: string, offset: number, print: (line: string) => void): Promise<number> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    return offset;
  }
  if (size <= offset) return size < offset ? 0 : offset;
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(size - offset);
    await handle.read(buffer, 0, buffer.length, offset);
    const text = buffer.toString('utf8');
    const end = text.lastIndexOf('\n');
    if (end === -1) return offset;
    for (const line of text.slice(0, end).split('\n')) print(line);
    return offset + Buffer.byteLength(text.slice(0, end + 1));
  } finally {
    await handle.close();
  }
}

const LEVELS: Readonly<Record<number, string>> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/** `2026-11-23 18:01:02.345 info  chunk-merge chunk=3 succeeded=500`, from one pino JSON line. */
export function formatLogLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { time, level, msg, pid: _pid, hostname: _hostname, ...rest } = entry;
  const when = typeof time === 'number' ? new Date(time).toISOString().replace('T', ' ').slice(0, 23) : '';
  const name = typeof level === 'number' ? (LEVELS[level] ?? String(level)) : String(level);
  const fields = Object.entries(rest)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return `${when} ${name.padEnd(5)} ${typeof msg === 'string' ? msg : JSON.stringify(msg ?? '')}${fields === '' ? '' : ` ${fields}`}`;
}
