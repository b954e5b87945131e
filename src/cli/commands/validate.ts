import type { Command } from 'commander';
import { createStore } from '../../store/create-store.ts';
import type { CommandExit } from '../command-exit.ts';
import { assertWorkspaceExists, globalOptions } from '../global-options.ts';
import { finishJoinBack, openStoredDataJob } from './stored-data-job.ts';

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
      const store = createStore({ workspace: options.workspace, url: options.store });
      try {
        const { job, config } = await openStoredDataJob(store, jobId, 'validate');
        const { validateStoredJob } = await import('../../compose/validate-stored-job.ts');
        const result = await validateStoredJob({
          store,
          workspace: options.workspace,
          job,
          config,
          promptsPath: typeof values['prompts'] === 'string' ? values['prompts'] : undefined,
        });
        const { integration, ...figures } = result;
        const statuses = Object.entries(result.byStatus)
          .map(([status, count]) => `${status} ${String(count)}`)
          .join(', ');
        const line = `validated ${String(result.checked)} answers with ${result.promptsFrom}: ${String(result.changed)} changed (${statuses || 'none'})`;
        await finishJoinBack(
          { json: options.json, jobId, integration, lines: [line], fields: { validate: figures } },
          exit,
        );
      } finally {
        await store.close();
      }
    });
}
