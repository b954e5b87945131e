import type { Command } from 'commander';
import { fromStoredConfig } from '../../config/load-config.ts';
import { ENDED_JOB_STATES } from '../../core/states.ts';
import { isLeaseLive } from '../../engine/lease.ts';
import { createStore } from '../../store/create-store.ts';
import { assertWorkspaceExists, globalOptions } from '../global-options.ts';
import { requireJob } from '../../store/require-job.ts';
import type { CommandExit } from '../command-exit.ts';

/**
 * `cancel JOB`: records the request in the store. A process running the job acts on it
 * (batch mode: cancels the remote batches, then collects what they finished); with no
 * process running it, this command runs the job itself to that end.
 */
export function registerCancelCommand(program: Command, exit: CommandExit): void {
  program
    .command('cancel')
    .description('stop a job; in batch mode also cancel its remote batches and collect what they finished')
    .argument('<job>', 'job id (see "batchpilot list")')
    .option('--no-progress', 'no progress display')
    .action(async (jobId: string, values: Record<string, unknown>, command: Command) => {
      const options = globalOptions(command);
      const { workspace, json } = options;
      assertWorkspaceExists(options, jobId);
      const store = createStore({ workspace, url: options.store });
      try {
        const job = await requireJob(store, jobId);
        const live = isLeaseLive(job.lease, Date.now());
        if (!live && ENDED_JOB_STATES.has(job.state)) {
          // Nothing to stop: the files are already written.
          const message = `job ${jobId} already ended (${job.state}); nothing to cancel`;
          process.stdout.write(
            json ? `${JSON.stringify({ job_id: jobId, cancel: 'ended', state: job.state })}\n` : `${message}\n`,
          );
          return;
        }
        await store.requestCancel(jobId, Date.now());
        if (live) {
          const pid = String(job.lease?.pid ?? '?');
          const message = `cancel requested; process ${pid} running job ${jobId} stops it and writes the files`;
          process.stdout.write(
            json ? `${JSON.stringify({ job_id: jobId, cancel: 'requested', runner: pid })}\n` : `${message}\n`,
          );
          return;
        }
        const { config, warnings } = await fromStoredConfig(job.config, {
          env: process.env,
          flags: {},
          // Only batch mode talks to the provider on cancel (it cancels the remote batches).
          requireKey: job.config.mode === 'batch',
        });
        for (const warning of warnings) process.stderr.write(`batchpilot: warning: ${warning}\n`);
        process.stderr.write(`batchpilot: cancelling job ${jobId}\n`);
        const { executeJob } = await import('../execute-job.ts');
        exit.code = await executeJob({
          store,
          workspace,
          storeUrl: options.store,
          jobId,
          config,
          json,
          progress: values['progress'] !== false,
        });
      } finally {
        await store.close();
      }
    });
}
