import type { Command } from 'commander';
import { UsageError } from '../../errors/index.ts';
import { createStore } from '../../store/create-store.ts';
import type { CommandExit } from '../command-exit.ts';
import { assertWorkspaceExists, globalOptions } from '../global-options.ts';
import { finishJoinBack, openStoredDataJob } from './stored-data-job.ts';

/**
 * `sink JOB [--sink NAME]`: sends a data job's rows into its sinks again from the first row (a new table, a sink
 * that was down), sending no model request (a `vectors:` sink's embeddings excepted). The enriched dataset and report are written again on the way (the same
 * bytes); each sink's outbox starts over, so the report's sink figures are this replay's.
 */
export function registerSinkCommand(program: Command, exit: CommandExit): void {
  program
    .command('sink')
    .description("send a data job's rows into its sinks again, from the first row (sends no model request)")
    .argument('<job>', 'job id of a data job with sinks: in its config')
    .option('--sink <name>', 'only this sink (its name in sinks:)')
    .action(async (jobId: string, values: Record<string, unknown>, command: Command) => {
      const options = globalOptions(command);
      assertWorkspaceExists(options, jobId);
      const only = typeof values['sink'] === 'string' ? values['sink'] : undefined;
      const store = createStore({ workspace: options.workspace, url: options.store });
      try {
        const { job, config } = await openStoredDataJob(store, jobId, 'sink');
        const names = (config.sinks ?? []).map((sink) => sink.name);
        if (names.length === 0) {
          throw new UsageError('USAGE', `job ${jobId} has no sinks: add a sinks: list to its config and run it`, {
            context: { jobId, key: 'sinks' },
          });
        }
        if (only !== undefined && !names.includes(only)) {
          throw new UsageError('USAGE', `--sink ${only}: job ${jobId} has no such sink (it has ${names.join(', ')})`, {
            context: { flag: '--sink', jobId },
          });
        }
        const { integrateStoredJob } = await import('../../compose/integrate-stored-job.ts');
        const { startJobSinks } = await import('../../compose/job-sinks.ts');
        // A job run with --simulate embeds (`vectors:`) through a simulator again; other sinks send no request.
        const embeds = (config.sinks ?? []).some(
          (sink) => (only === undefined || sink.name === only) && sink.type === 'lancedb' && sink.vectors !== undefined,
        );
        const simulator =
          config.simulate && embeds
            ? await (await import('../../compose/quickstart-simulator.ts')).startQuickstartSimulator()
            : undefined;
        try {
          const sinks = await startJobSinks({
            store,
            workspace: options.workspace,
            job,
            config,
            fromStart: true,
            ...(only === undefined ? {} : { only }),
            ...(simulator === undefined ? {} : { baseUrl: simulator.baseUrl }),
          });
          const result = await integrateStoredJob({ store, workspace: options.workspace, job, config, sinks });
          await finishJoinBack({ json: options.json, jobId, integration: result }, exit);
        } finally {
          await simulator?.close();
        }
      } finally {
        await store.close();
      }
    });
}
