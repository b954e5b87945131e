import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { isLeaseLive } from '../../engine/lease.ts';
import { createStore } from '../../store/create-store.ts';
import type { AttemptStats, RecentFailure } from '../../store/store.ts';
import { assertWorkspaceExists, globalOptions } from '../global-options.ts';
import { readJobStatus, type JobStatus } from '../job-status.ts';
import { requireJob } from '../../store/require-job.ts';

const TICK_MS = 500;
/** Attempt statistics scan the attempts table: refreshed less often than the counts. */
const STATS_EVERY_TICKS = 4;
const RECENT_FAILURES = 5;

export interface MonitorView {
  status: JobStatus;
  done: number;
  total: number;
  rate: number;
  eta: string;
  failuresByCause: Record<string, number>;
  recentFailures: RecentFailure[];
}

/**
 * `monitor JOB`: a live view of any job (foreground or detached, this terminal or another),
 * read from the store, which WAL lets readers share with the running writer. Ctrl-C stops the
 * watching, not the job. Ends by itself when the job is no longer running.
 */
export function registerMonitorCommand(program: Command): void {
  program
    .command('monitor')
    .description('live view of a job until it ends (Ctrl-C stops watching, not the job)')
    .argument('<job>', 'job id (see "batchpilot list")')
    .option('--interval-ms <n>', 'redraw interval in ms', String(TICK_MS))
    .action(async (jobId: string, values: Record<string, unknown>, command: Command) => {
      const options = globalOptions(command);
      const { workspace, json } = options;
      assertWorkspaceExists(options, jobId);
      const tickMs = Math.max(50, Number(values['intervalMs'] ?? TICK_MS) || TICK_MS);
      const store = createStore({ workspace });
      try {
        let stats: AttemptStats | undefined;
        for (let tick = 0; ; tick += 1) {
          const job = await requireJob(store, jobId, workspace);
          const now = Date.now();
          const running = isLeaseLive(job.lease, now);
          if (tick % STATS_EVERY_TICKS === 0 || !running) stats = await store.attemptStats(jobId);
          const status = await readJobStatus(store, job, now);
          const view = describe(status, stats);
          view.recentFailures = await store.recentFailures(jobId, RECENT_FAILURES);
          process.stdout.write(json ? `${JSON.stringify(view)}\n` : render(view, process.stdout.isTTY));
          // Not running (ended, interrupted, never started): the view above is the last one.
          if (!running) break;
          await sleep(tickMs);
        }
        if (!json && process.stdout.isTTY) process.stdout.write('\n');
      } finally {
        await store.close();
      }
    });
}

/** The rate and ETA are the ones `status` shows (items finished over the last minute, from the store). */
function describe(status: JobStatus, stats: AttemptStats | undefined): MonitorView {
  const done = status.counts.succeeded + status.counts.failed;
  const total = status.counts.total;
  const left = total - done - status.counts.missing;
  const eta = status.eta_s !== null ? `${String(status.eta_s)}s` : left <= 0 ? '0s' : '?';
  return {
    status,
    done,
    total,
    rate: status.rate_rps,
    eta,
    failuresByCause: stats?.failuresByCause ?? {},
    recentFailures: [],
  };
}

export function render(view: MonitorView, tty: boolean): string {
  const { status } = view;
  const c = status.counts;
  const width = 30;
  const filled = view.total === 0 ? 0 : Math.round((view.done / view.total) * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const causes = Object.entries(view.failuresByCause)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([cause, count]) => `${cause} ${String(count)}`)
    .join(', ');
  const lines = [
    `${status.job_id} ${status.state}${status.runner === null ? '' : ` (pid ${String(status.runner.pid)})`}`,
    `${bar} ${String(view.done)}/${String(view.total)} | ok ${String(c.succeeded)} failed ${String(c.failed)} missing ${String(c.missing)} pending ${String(c.pending)} | ${view.rate.toFixed(1)} req/s | ETA ${view.eta}`,
    `failed attempts by cause: ${causes === '' ? 'none' : causes}`,
  ];
  if (status.chunks !== undefined) {
    const open = status.chunks.filter((chunk) => chunk.state !== 'merged');
    lines.push(
      `chunks: ${open.map((chunk) => chunk.shown_as).join(', ') || 'none open'} (${String(status.chunks.length - open.length)} merged)`,
    );
  }
  if (status.cancel_requested) lines.push('cancel requested');
  for (const failure of view.recentFailures) {
    const at = new Date(failure.at).toISOString().slice(11, 19);
    lines.push(`  ${at} ${failure.customId} attempt ${String(failure.attempt)}: ${failure.cause}`);
  }
  // On a terminal the view is redrawn in place; elsewhere each refresh is a block of plain lines.
  return tty ? `\u001b[H\u001b[2J${lines.join('\n')}\n` : `${lines.join('\n')}\n`;
}
