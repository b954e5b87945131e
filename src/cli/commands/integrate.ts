import type { Command } from 'commander';
import { UsageError } from '../../errors/index.ts';
import type { EnrichedFormat } from '../../output/write-enriched.ts';
import { createStore } from '../../store/create-store.ts';
import type { CommandExit } from '../command-exit.ts';
import { assertWorkspaceExists, globalOptions } from '../global-options.ts';
import { finishJoinBack, openStoredDataJob } from './stored-data-job.ts';

const FORMATS: readonly EnrichedFormat[] = ['jsonl', 'json', 'csv', 'parquet'];

/**
 * `integrate JOB`: writes a data job's enriched dataset and integration report again from the store (after a
 * `retry`, or in another format), sending nothing. Exits 3 (`COVERAGE_BELOW_MIN`) as the job's own end does.
 */
export function registerIntegrateCommand(program: Command, exit: CommandExit): void {
  program
    .command('integrate')
    .description("write a data job's enriched dataset and integration report again from the store (sends nothing)")
    .argument('<job>', 'job id of a data job (run DATA --prompts FILE)')
    .option('--out <file>', 'the enriched file (default: integrate.out, else enriched.<format> in the job folder)')
    .option('--format <format>', `${FORMATS.join(' | ')} (default: integrate.format, else from --out, else jsonl)`)
    .action(async (jobId: string, values: Record<string, unknown>, command: Command) => {
      const options = globalOptions(command);
      assertWorkspaceExists(options, jobId);
      const format = values['format'];
      if (format !== undefined && !(FORMATS as readonly unknown[]).includes(format)) {
        throw new UsageError(
          'USAGE',
          `--format must be one of ${FORMATS.join(', ')}, got "${typeof format === 'string' ? format : typeof format}"`,
          {
            context: { flag: '--format' },
          },
        );
      }
      const store = createStore({ workspace: options.workspace, url: options.store });
      try {
        const { job, config } = await openStoredDataJob(store, jobId, 'integrate');
        const { integrateStoredJob } = await import('../../compose/integrate-stored-job.ts');
        const result = await integrateStoredJob({
          store,
          workspace: options.workspace,
          job,
          config,
          out: typeof values['out'] === 'string' ? values['out'] : undefined,
          format: format as EnrichedFormat | undefined,
        });
        await finishJoinBack({ json: options.json, jobId, integration: result }, exit);
      } finally {
        await store.close();
      }
    });
}
