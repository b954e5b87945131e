import type { Command } from 'commander';
import type { CollectedJob } from '../../compose/collect-job.ts';
import type { CommandExit } from '../command-exit.ts';
import { assertWorkspaceExists, globalOptions } from '../global-options.ts';
import { createStore } from '../../store/create-store.ts';

/**
 * `collect JOB [--out DIR]`: a job's result files, report.json and (a data job) enriched dataset and integration
 * report, written from the store at any time, sending nothing and changing nothing in the store
 * (compose/collect-job.ts, docs/decisions/0033). A job not ended yet gets what is settled so far, and one line on
 * stderr says so.
 */
export function registerCollectCommand(program: Command, exit: CommandExit): void {
  program
    .command('collect')
    .description("write a job's result files (and a data job's enriched dataset) from the store, at any time")
    .argument('<job>', 'job id (see "batchpilot list")')
    .option('--out <dir>', "the folder to write into (default: where the job's run writes each file)")
    .action(async (jobId: string, values: Record<string, unknown>, command: Command) => {
      const options = globalOptions(command);
      // A PostgreSQL store holds the jobs itself: a job is collected from any folder, and no workspace is made.
      if (options.store === undefined) assertWorkspaceExists(options, jobId);
      const out = typeof values['out'] === 'string' ? values['out'] : undefined;
      const store = createStore({ workspace: options.workspace, url: options.store });
      try {
        const { collectJob } = await import('../../compose/collect-job.ts');
        const collected = await collectJob({ store, workspace: options.workspace, jobId, out });
        if (!collected.ended) process.stderr.write(`batchpilot: ${describeUnended(collected)}\n`);
        const error = collected.joinBackError;
        if (options.json) {
          process.stdout.write(`${JSON.stringify(toJson(collected))}\n`);
          exit.code = error?.exitCode ?? 0;
          return;
        }
        process.stdout.write(`${summaryLines(collected).join('\n')}\n`);
        if (error !== undefined) throw error;
      } finally {
        await store.close();
      }
    });
}

/** The one stderr line of a job that has not ended: the files hold what is settled so far. */
function describeUnended(collected: CollectedJob): string {
  const { job, state } = collected;
  const so = 'these files hold what is settled so far; missing_records.jsonl lists the rest';
  if (state === 'running' || state === 'finalizing') {
    const runner = job.lease === null ? '' : ` (process ${String(job.lease.pid)} on ${job.lease.host})`;
    return `job ${job.id} is still running${runner}: ${so}; collect again once it ends`;
  }
  if (state === 'created') return `job ${job.id} has not run yet: ${so}; run "batchpilot resume ${job.id}"`;
  return `job ${job.id} is ${state}: ${so}; "batchpilot resume ${job.id}" carries it on`;
}

function summaryLines(collected: CollectedJob): string[] {
  const { counts } = collected.report;
  const lines = [
    `collected job ${collected.job.id} (${collected.state}) into ${collected.outDir}: ${String(counts.succeeded)} succeeded, ${String(counts.failed)} failed, ${String(counts.missing)} missing, ${String(counts.rejected)} rejected`,
  ];
  if (collected.integration !== undefined) lines.push(...collected.integration.summary);
  return lines;
}

function toJson(collected: CollectedJob): Record<string, unknown> {
  return {
    job_id: collected.job.id,
    state: collected.state,
    ended: collected.ended,
    out_dir: collected.outDir,
    files: collected.report.files,
    counts: collected.report.counts,
    ...(collected.integration === undefined ? {} : { integration: collected.integration.report }),
    ...(collected.joinBackError === undefined ? {} : { error: collected.joinBackError.toJSON() }),
  };
}
