import type { Command } from 'commander';
import { createStore } from '../../store/create-store.ts';
import { assertWorkspaceExists, globalOptions } from '../global-options.ts';
import { answersAreRows } from '../../compose/status/answers-are-rows.ts';
import { formatGroupEta } from '../../compose/status/group-eta.ts';
import { readJobStatus, type JobStatus } from '../../compose/status/job-status.ts';
import { describeSink } from '../render/describe-sink.ts';
import { requireJob } from '../../store/require-job.ts';

function formatTable(statuses: JobStatus[]): string {
  if (statuses.length === 0) return 'no jobs in this workspace yet; start one with "batchpilot run INPUT"';
  const header = ['JOB', 'STATE', 'DONE', 'OK', 'FAILED', 'MISSING', 'TOTAL', 'RATE', 'ETA', 'LAST', 'CREATED'];
  const rows = statuses.map((status) => [
    status.job_id,
    status.state,
    String(status.counts.succeeded + status.counts.failed),
    String(status.counts.succeeded),
    String(status.counts.failed),
    String(status.counts.missing),
    status.input_fully_read ? String(status.counts.total) : `${String(status.counts.total)}+`,
    status.rate_rps > 0 ? `${String(status.rate_rps)}/s` : '-',
    status.eta_s !== null
      ? `${String(status.eta_s)}s`
      : status.input_read_percent === null
        ? '-'
        : `? (input ${String(status.input_read_percent)}% read)`,
    status.last_progress_age_s === null ? '-' : `${String(status.last_progress_age_s)}s ago`,
    status.created_at.replace('T', ' ').slice(0, 19),
  ]);
  const widths = header.map((title, index) => Math.max(title.length, ...rows.map((row) => (row[index] ?? '').length)));
  return [header, ...rows]
    .map((row) => row.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join('  '))
    .join('\n');
}

function formatDetail(status: JobStatus): string {
  const c = status.counts;
  const lines = [
    `job       ${status.job_id}`,
    `state     ${status.state}${status.runner === null ? '' : ` (pid ${String(status.runner.pid)}, heartbeat ${String(Math.round(status.runner.heartbeat_age_ms / 1000))} s ago)`}`,
    `input     ${status.input}${status.input_fully_read ? '' : ' (not fully read yet)'}`,
    `items     ${String(c.total)}${status.input_fully_read ? '' : ` so far (input ${String(status.input_read_percent)}% read; total not known yet)`}: ${String(c.succeeded)} succeeded, ${String(c.failed)} failed, ${String(c.missing)} missing, ${String(c.pending)} pending, ${String(c.retry_wait)} waiting to retry`,
    ...(status.to_send === null || status.to_send === 0
      ? []
      : [
          `to send   ${String(status.to_send)} on resume${status.unread_lines === null || status.unread_lines === 0 ? '' : ` (${String(status.unread_lines)} of them on lines not read yet)`}`,
        ]),
    `rejected  ${String(status.rejected)} lines${status.left_out_by_limit > 0 ? `; ${String(status.left_out_by_limit)} left out by limit` : ''}`,
    `files     ${status.out_dir}`,
  ];
  if (status.cancel_requested) lines.push('cancel    requested');
  for (const group of status.groups ?? []) {
    const target = group.target === 0 ? 'no target' : `target ${String(group.target)}`;
    lines.push(
      `group     ${group.group === '' ? '(none)' : group.group}: ${target}${group.already === 0 ? '' : ` (${String(group.already)} already)`}; items ${String(group.valid_answers)} valid, ${String(group.succeeded - group.valid_answers)} not valid, ${String(group.failed)} failed, ${String(group.open)} open, ${String(group.skipped)} skipped; ETA ${formatGroupEta({ state: group.eta, seconds: group.eta_s })}`,
    );
  }
  for (const sink of status.sinks ?? []) lines.push(`sink      ${describeSink(sink)}`);
  if (status.slices !== undefined) {
    const { done, open, held } = status.slices;
    lines.push(`slices    ${String(done)} done, ${String(open)} open (${String(held)} held by workers)`);
  }
  if (status.chunks !== undefined) {
    const open = status.chunks.filter((chunk) => chunk.state !== 'merged');
    lines.push(`chunks    ${String(status.chunks.length)} (${String(status.chunks.length - open.length)} merged)`);
    for (const chunk of status.chunks) {
      lines.push(`  ${chunk.shown_as.padEnd(28)} ${String(chunk.items)} items  ${chunk.batch_id ?? '(not submitted)'}`);
    }
  }
  return lines.join('\n');
}

async function showStatus(command: Command, jobId: string | undefined): Promise<void> {
  const options = globalOptions(command);
  const { workspace, json } = options;
  // A PostgreSQL store holds the jobs itself: they can be shown from any folder, and reading them creates nothing.
  const inWorkspace = options.store === undefined;
  if (inWorkspace && jobId !== undefined) assertWorkspaceExists(options, jobId);
  else if (inWorkspace && !options.workspaceExists) {
    // Listing must not create a workspace: a user who types `status` in the wrong folder gets told so.
    process.stdout.write(
      json ? '[]\n' : `no batchpilot workspace in ${options.workspaceSearched}; "batchpilot run INPUT" creates one\n`,
    );
    return;
  }
  const store = createStore({ workspace, url: options.store });
  try {
    const now = Date.now();
    if (jobId !== undefined) {
      const job = await requireJob(store, jobId, workspace);
      const status = await readJobStatus(store, job, now, { answersAreRows: await answersAreRows(workspace, job) });
      process.stdout.write(`${json ? JSON.stringify(status, null, 2) : formatDetail(status)}\n`);
      return;
    }
    const statuses = await Promise.all(
      (await store.listJobs()).map(async (job) =>
        readJobStatus(store, job, now, { answersAreRows: await answersAreRows(workspace, job) }),
      ),
    );
    process.stdout.write(`${json ? JSON.stringify(statuses, null, 2) : formatTable(statuses)}\n`);
  } finally {
    await store.close();
  }
}

/** `status [JOB]` and `list`: one job in detail, or every job of the workspace as a table (or `--json`), read from the store. */
export function registerStatusCommands(program: Command): void {
  program
    .command('status')
    .description('one job in detail, or all jobs as a table')
    .argument('[job]', 'job id')
    .action((jobId: string | undefined, _values: unknown, command: Command) => showStatus(command, jobId));
  program
    .command('list')
    .description('jobs in the workspace')
    .action((_values: unknown, command: Command) => showStatus(command, undefined));
}
