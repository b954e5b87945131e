import type { Command } from 'commander';
import { BatchpilotError } from '../../errors/index.ts';
import { createStore } from '../../store/create-store.ts';
import type { CommandExit } from '../command-exit.ts';
import { assertWorkspaceExists, globalOptions } from '../global-options.ts';
import { openStoredDataJob } from './stored-data-job.ts';

/**
 * `validate JOB [--prompts FILE]`: a data job's stored answers checked again with the current rules (a new prompts
 * file, or the job's own read again), sending nothing; the enriched dataset and report are written again.
 */
export function registerValidateCommand(program: Command, exit: CommandExit): void {
  program
    .command('validate')
    .description("check a data job's stored answers again with the current rules and rewrite its files (sends nothing)")
    .argument('<job>', 'job id of a data job (run DATA --prompts FILE)')
    .option('--prompts <file>', 'the rules to check with (default: the prompts file the job was prepared from)')
    .action(async (jobId: string, values: Record<string, unknown>, command: Command) => {
      const options = globalOptions(command);
      assertWorkspaceExists(options, jobId);
      const store = createStore({ workspace: options.workspace });
      try {
        const { job, config } = await openStoredDataJob(store, jobId, 'validate');
        const { validateStoredJob } = await import('../../compose/validate-stored-job.ts');
        const { describeCoverageShortfalls } = await import('../../output/integrate-data-job.ts');
        const result = await validateStoredJob({
          store,
          workspace: options.workspace,
          job,
          config,
          promptsPath: typeof values['prompts'] === 'string' ? values['prompts'] : undefined,
        });
        const { integration } = result;
        const shortfall =
          integration.shortfalls.length === 0
            ? undefined
            : new BatchpilotError(
                'COVERAGE_BELOW_MIN',
                describeCoverageShortfalls(integration.shortfalls, integration.report.min_coverage),
                { context: { jobId, key: 'integrate.min_coverage' } },
              );
        if (options.json) {
          const { integration: _integration, ...figures } = result;
          process.stdout.write(
            `${JSON.stringify({ job_id: jobId, validate: figures, integration: integration.report, ...(shortfall === undefined ? {} : { error: shortfall.toJSON() }) })}\n`,
          );
          exit.code = shortfall?.exitCode ?? 0;
          return;
        }
        const statuses = Object.entries(result.byStatus)
          .map(([status, count]) => `${status} ${String(count)}`)
          .join(', ');
        process.stdout.write(
          `validated ${String(result.checked)} answers with ${result.promptsFrom}: ${String(result.changed)} changed (${statuses || 'none'})\n`,
        );
        process.stdout.write(`${integration.summary.join('\n')}\n`);
        if (shortfall !== undefined) throw shortfall;
      } finally {
        await store.close();
      }
    });
}
