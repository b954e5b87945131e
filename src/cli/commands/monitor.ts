import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { createSchedulerStore, createStore } from '../../store/create-store.ts';
import type { AttemptStats, RecentFailure } from '../../store/store.ts';
import { assertWorkspaceExists, globalOptions } from '../global-options.ts';
import { UsageError } from '../../errors/index.ts';
import { answersAreRows } from '../../compose/status/answers-are-rows.ts';
import { formatGroupEta } from '../../compose/status/group-eta.ts';
import { readJobStatus, type JobStatus } from '../../compose/status/job-status.ts';
import { describeSink } from '../render/describe-sink.ts';
import { readJobPhase, type JobPhase, type JobPhaseReading } from '../read-job-phase.ts';

const TICK_MS = 500;
/** Attempt statistics scan the attempts table: refreshed less often than the counts. */
const STATS_EVERY_TICKS = 4;
const RECENT_FAILURES = 5;

export interface MonitorView {
  status: JobStatus;
  /** Where the job stands (see `readJobPhase`): `queued` while it waits for the scheduler. */
  phase: JobPhase;
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
    .option('--by <what>', 'a line per group of a data job with groups (group)')
    .action(async (jobId: string, values: Record<string, unknown>, command: Command) => {
      const by = values['by'];
      if (by !== undefined && by !== 'group') {
        throw new UsageError(
          'USAGE',
          `--by takes "group" (a line per group of a data job), got "${typeof by === 'string' ? by : ''}"`,
          {
            context: { flag: '--by' },
          },
        );
      }
      const options = globalOptions(command);
      const { workspace, json } = options;
      assertWorkspaceExists(options, jobId);
      const tickMs = Math.max(50, Number(values['intervalMs'] ?? TICK_MS) || TICK_MS);
      const store = createStore({ workspace, url: options.store });
      const schedulerStore = createSchedulerStore({ workspace });
      try {
        let stats: AttemptStats | undefined;
        let reading: JobPhaseReading;
        let rowsKnown: boolean | undefined;
        for (let tick = 0; ; tick += 1) {
          const now = Date.now();
          reading = await readJobPhase(store, schedulerStore, jobId, now);
          // Queued with a live scheduler (a `run --detach` a moment ago, or waiting for a free slot): it will run,
          // so the view waits for it rather than ending on an empty `created 0/0`.
          const watching = reading.phase === 'running' || reading.phase === 'queued';
          if (tick % STATS_EVERY_TICKS === 0 || !watching) stats = await store.attemptStats(jobId);
          // The prompt set is frozen with the job: whether its answers are rows is read once.
          rowsKnown ??= await answersAreRows(workspace, reading.job);
          const status = await readJobStatus(store, reading.job, now, {
            groupTokens: json || by === 'group',
            answersAreRows: rowsKnown,
          });
          const view = describe(status, stats, reading.phase);
          view.recentFailures = await store.recentFailures(jobId, RECENT_FAILURES);
          process.stdout.write(json ? `${JSON.stringify(view)}\n` : render(view, process.stdout.isTTY, by === 'group'));
          // Ended, interrupted, or queued with no scheduler to run it: the view above is the last one.
          if (!watching) break;
          await sleep(tickMs);
        }
        if (!json && process.stdout.isTTY) process.stdout.write('\n');
        if (reading.queuedWithoutScheduler) {
          process.stderr.write(
            `batchpilot: job ${jobId} waits in the queue, but no scheduler is running; start one with "batchpilot scheduler start", or run it here with "batchpilot resume ${jobId}"\n`,
          );
        }
      } finally {
        await schedulerStore.close();
        await store.close();
      }
    });
}

/** The rate and ETA are the ones `status` shows (items finished over the last minute, from the store). */
function describe(status: JobStatus, stats: AttemptStats | undefined, phase: JobPhase): MonitorView {
  const done = status.counts.succeeded + status.counts.failed;
  const total = status.counts.total;
  const left = total - done - status.counts.missing;
  let eta = status.eta_s !== null ? `${String(status.eta_s)}s` : left <= 0 ? '0s' : '?';
  // Items not read yet are not counted anywhere: an ETA from the ones read so far would be too short.
  if (status.input_read_percent !== null)
    eta = `? (total not known yet: input ${String(status.input_read_percent)}% read)`;
  return {
    status,
    phase,
    done,
    total,
    rate: status.rate_rps,
    eta,
    failuresByCause: stats?.failuresByCause ?? {},
    recentFailures: [],
  };
}

export function render(view: MonitorView, tty: boolean, byGroup = false): string {
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
  const state =
    view.phase === 'queued' && status.runner === null ? `${status.state}, queued for the scheduler` : status.state;
  const total = status.input_fully_read ? String(view.total) : `${String(view.total)}+`;
  const lines = [
    `${status.job_id} ${state}${status.runner === null ? '' : ` (pid ${String(status.runner.pid)})`}`,
    `${bar} ${String(view.done)}/${total} | ok ${String(c.succeeded)} failed ${String(c.failed)} missing ${String(c.missing)} pending ${String(c.pending)} | ${view.rate.toFixed(1)} req/s | ETA ${view.eta}`,
    `failed attempts by cause: ${causes === '' ? 'none' : causes}`,
  ];
  if (status.chunks !== undefined) {
    const open = status.chunks.filter((chunk) => chunk.state !== 'merged');
    lines.push(
      `chunks: ${open.map((chunk) => chunk.shown_as).join(', ') || 'none open'} (${String(status.chunks.length - open.length)} merged)`,
    );
  }
  if (status.cancel_requested) lines.push('cancel requested');
  if (byGroup) lines.push(...renderGroups(status));
  for (const sink of status.sinks ?? []) lines.push(`sink ${describeSink(sink)}`);
  for (const failure of view.recentFailures) {
    const at = new Date(failure.at).toISOString().slice(11, 19);
    lines.push(`  ${at} ${failure.customId} attempt ${String(failure.attempt)}: ${failure.cause}`);
  }
  // On a terminal the view is redrawn in place; elsewhere each refresh is a block of plain lines.
  return tty ? `\u001b[H\u001b[2J${lines.join('\n')}\n` : `${lines.join('\n')}\n`;
}

/**
 * `--by group`: per group, its target (rows; `already` beside it), its items' answers valid so far, open items, the
 * share of valid answers among those in, skipped items (target reached), and its ETA (`group-eta.ts`). Row figures are in report.json at the end.
 */
function renderGroups(status: JobStatus): string[] {
  if (status.groups === undefined) return ['by group: this job has no groups (data.group_by and groups:)'];
  const rows = status.groups.map((group) => {
    const settled = group.succeeded + group.failed;
    const pass = settled === 0 ? '-' : `${String(Math.round((group.valid_answers / settled) * 100))}%`;
    return [
      group.group === '' ? '(none)' : group.group,
      group.target === 0
        ? '-'
        : `${String(group.target)}${group.already === 0 ? '' : ` (${String(group.already)} already)`}`,
      String(group.valid_answers),
      String(group.open),
      pass,
      String(group.skipped),
      formatGroupEta({ state: group.eta, seconds: group.eta_s }),
      group.cost_usd === null ? '?' : `$${group.cost_usd.toFixed(4)}`,
    ];
  });
  const header = ['group', 'target rows', 'valid answers', 'open', 'pass rate', 'skipped', 'ETA', 'cost so far'];
  const widths = header.map((title, index) => Math.max(title.length, ...rows.map((row) => (row[index] ?? '').length)));
  return [header, ...rows].map((row) => `  ${row.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join('  ')}`);
}
