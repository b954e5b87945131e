import type { Command } from 'commander';
import { runWorker, type WorkerProgress } from '../../compose/run-worker.ts';
import { UsageError } from '../../errors/index.ts';
import { createStore } from '../../store/create-store.ts';
import { isSharedStore } from '../../store/shared-store.ts';
import { createLogger } from '../../util/logger.ts';
import { globalOptions } from '../global-options.ts';
import type { CommandExit } from '../command-exit.ts';
import { readPositiveIntFlag } from '../parse-positive-int.ts';
import { DEFAULT_SLICE_LEASE_S as DEFAULT_LEASE_S } from '../../engine/work/job-slice-work.ts';

/** How often the progress line is written. */
const PROGRESS_MS = 5000;

/**
 * `worker`: works on the running jobs of a shared store (docs/decisions/0031) until stopped. Logs pino JSON lines to
 * stdout, a progress line per job to stderr; SIGINT/SIGTERM stop it: in-flight requests finish (a second signal cuts
 * them), and the slices it held go back to the queue for the other workers.
 */
export function registerWorkerCommand(program: Command, exit: CommandExit): void {
  program
    .command('worker')
    .description('take slices of the running jobs of a shared store (--store postgres://...) and send them')
    .option('--concurrency <n>', "requests in flight per job at most (default: each job's concurrency)")
    .option('--jobs <pattern>', 'only jobs whose id matches this pattern (* matches anything), e.g. "nightly-*"')
    .option(
      '--lease-s <seconds>',
      `take over the slices of a worker silent for this long (default ${String(DEFAULT_LEASE_S)})`,
    )
    .action(async (values: Record<string, unknown>, command: Command) => {
      const { workspace, store: storeUrl } = globalOptions(command);
      if (storeUrl === undefined) {
        throw new UsageError(
          'USAGE',
          'worker needs the shared store its jobs are in: give --store postgres://host:port/database (or set BATCHPILOT_STORE)',
          { context: { flag: '--store' } },
        );
      }
      const concurrency = readPositiveIntFlag(values, 'concurrency', '--concurrency');
      const leaseS = readPositiveIntFlag(values, 'leaseS', '--lease-s') ?? DEFAULT_LEASE_S;
      const store = createStore({ workspace, url: storeUrl });
      if (!isSharedStore(store)) throw new Error('a PostgreSQL store hands out slices');
      const stop = new AbortController();
      let signals = 0;
      const onSignal = (): void => {
        signals += 1;
        if (signals === 1) {
          process.stderr.write('batchpilot: worker stopping; in-flight requests finish, held slices go back\n');
          stop.abort();
        } else {
          process.exit(exit.code === 0 ? 130 : exit.code);
        }
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      let lastLine = 0;
      try {
        await runWorker({
          store,
          env: process.env,
          concurrency,
          jobs: typeof values['jobs'] === 'string' ? values['jobs'] : undefined,
          signal: stop.signal,
          logger: createLogger({ file: 1 }),
          staleMs: leaseS * 1000,
          onProgress: (progress) => {
            if (Date.now() - lastLine < PROGRESS_MS) return;
            lastLine = Date.now();
            writeProgress(progress);
          },
          onSkip: (jobId, reason) => process.stderr.write(`batchpilot: worker leaves job ${jobId} alone: ${reason}\n`),
        });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await store.close();
      }
    });
}

function writeProgress(progress: WorkerProgress): void {
  for (const { jobId, counters } of progress.jobs) {
    process.stderr.write(
      `batchpilot: worker job ${jobId}: ${String(counters.succeeded)} succeeded, ${String(counters.failed)} failed, ${String(counters.inFlight)} in flight, ${String(counters.retries)} retries\n`,
    );
  }
}
