import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { jobDirPath } from '../../compose/job-paths.ts';
import type { Job } from '../../core/job.ts';
import { ENDED_JOB_STATES } from '../../core/states.ts';
import { exitCodeFor, type BatchpilotError } from '../../errors/index.ts';
import { groupShortfallError } from '../../compose/group-shortfall-error.ts';
import type { Command } from 'commander';
import { createSchedulerStore, createStore } from '../../store/create-store.ts';
import { assertWorkspaceExists, globalOptions } from '../global-options.ts';
import { storedJobExitCode } from '../job-exit-code.ts';
import type { CommandExit } from '../command-exit.ts';
import { readJobPhase } from '../read-job-phase.ts';
import { readJobStatus } from '../../compose/status/job-status.ts';
import type { JobReport } from '../../output/build-report.ts';
import { INTEGRATION_FILES, RESULT_FILES } from '../../output/result-file-names.ts';

const POLL_MS = 500;

/**
 * The prompts of an ended data job below `integrate.min_coverage`, as its join-back wrote them in
 * integration_report.json; none for a job of request lines, or one that has not joined back.
 */
async function promptsShortOfCoverage(workspace: string, job: Job): Promise<string[]> {
  if (job.data?.['kind'] !== 'data' || !ENDED_JOB_STATES.has(job.state)) return [];
  // A job with groups is judged by its groups' targets (report.json), not by coverage (docs/decisions/0024).
  if (job.config['groups'] !== undefined) return [];
  try {
    const report = JSON.parse(
      await readFile(join(jobDirPath(workspace, job.id), INTEGRATION_FILES.report), 'utf8'),
    ) as { short_of_coverage?: unknown };
    return Array.isArray(report.short_of_coverage) ? report.short_of_coverage.map(String) : [];
  } catch {
    return [];
  }
}

/** A completed job's `short` groups as its report.json names them, as the error its run ended with. */
async function groupShortfall(job: Job): Promise<BatchpilotError | undefined> {
  if (job.config['groups'] === undefined) return undefined;
  try {
    return groupShortfallError(JSON.parse(await readFile(join(job.outDir, RESULT_FILES.report), 'utf8')) as JobReport);
  } catch {
    return undefined;
  }
}

/**
 * `wait JOB`: for scripts around `run --detach` / `resume --detach`. Waits while the job runs or
 * waits in the queue of a live scheduler, then prints its status and exits with the code a
 * foreground run of it would have: 0 every item succeeded, 3 failed or missing items (or
 * cancelled, or a data job's valid answers below `integrate.min_coverage`), 2 stopped by a 401/403,
 * 130 not running and not ended (interrupted, or queued with no scheduler to run it: `resume JOB`
 * carries on).
 */
export function registerWaitCommand(program: Command, exit: CommandExit): void {
  program
    .command('wait')
    .description("wait for a job to end; the exit code is the job's outcome (0, 3, 2 or 130)")
    .argument('<job>', 'job id (see "batchpilot list")')
    .option('--interval-ms <n>', 'how often to look, in ms', String(POLL_MS))
    .action(async (jobId: string, values: Record<string, unknown>, command: Command) => {
      const options = globalOptions(command);
      assertWorkspaceExists(options, jobId);
      const pollMs = Math.max(50, Number(values['intervalMs'] ?? POLL_MS) || POLL_MS);
      const store = createStore({ workspace: options.workspace, url: options.store });
      const schedulerStore = createSchedulerStore({ workspace: options.workspace });
      try {
        let reading = await readJobPhase(store, schedulerStore, jobId, Date.now());
        while (reading.phase === 'running' || reading.phase === 'queued') {
          await sleep(pollMs);
          reading = await readJobPhase(store, schedulerStore, jobId, Date.now());
        }
        const status = await readJobStatus(store, reading.job, Date.now());
        const missing = status.counts.missing - status.left_out_by_limit;
        exit.code = storedJobExitCode(reading.job.state, { failed: status.counts.failed, missing });
        const shortOf = await promptsShortOfCoverage(options.workspace, reading.job);
        if (exit.code === 0 && shortOf.length > 0) exit.code = exitCodeFor('COVERAGE_BELOW_MIN');
        if (exit.code === 0 && reading.job.state === 'completed') {
          exit.code = (await groupShortfall(reading.job))?.exitCode ?? 0;
        }
        if (options.json) {
          const coverage = shortOf.length > 0 ? { short_of_coverage: shortOf } : {};
          process.stdout.write(`${JSON.stringify({ ...status, ...coverage, exit_code: exit.code })}\n`);
          return;
        }
        const c = status.counts;
        const hint = reading.queuedWithoutScheduler
          ? `; it waits in the queue with no scheduler running: "batchpilot scheduler start" or "batchpilot resume ${jobId}"`
          : reading.phase === 'stopped'
            ? `; "batchpilot resume ${jobId}" carries on`
            : '';
        process.stdout.write(
          `job ${jobId} ${reading.job.state}: ${String(c.succeeded)} succeeded, ${String(c.failed)} failed, ${String(missing)} missing${hint}\n`,
        );
        if (shortOf.length > 0) {
          process.stdout.write(
            `valid answers below integrate.min_coverage for: ${shortOf.join(', ')} (integration_report.json)\n`,
          );
        }
      } finally {
        await schedulerStore.close();
        await store.close();
      }
    });
}
