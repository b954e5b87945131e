import type { SharedStore } from '../../store/shared-store.ts';
import { runBatchJob, type RunBatchJobOptions } from '../batch/run-batch-job.ts';
import type { RunJobResult } from '../run-outcome.ts';
import { SharedChunkHandOut } from './shared-chunk-hand-out.ts';

export interface RunSharedBatchJobOptions extends Omit<
  RunBatchJobOptions,
  'store' | 'handOut' | 'review' | 'admission'
> {
  store: SharedStore;
  /** `run --no-work`: this process cuts chunks and watches; workers elsewhere run them. */
  noWork?: boolean | undefined;
  /** How long a chunk's holder may go without a heartbeat before another process takes the chunk. */
  staleMs: number;
}

/**
 * A batch-mode job in a shared store, its chunks run by any number of workers (docs/decisions/0034): this process
 * commits the input, cuts the chunks (under `batch.max_concurrent`, the enqueued-token limit), reports progress and
 * decides the job's end, as in one process; each chunk it cuts is handed out, and whoever takes it (a worker, or this
 * process unless `noWork`) runs its steps. The run scaffold around it (lease, result files, report) is a single
 * process's; `limits.budget_usd` is held there too, each closed chunk priced from the answers it got. A data job
 * (answer review, admission by need) runs in one process (`runBatchJob`): the caller picks.
 */
export async function runSharedBatchJob(options: RunSharedBatchJobOptions): Promise<RunJobResult> {
  const { store, provider, settings, workDir, staleMs } = options;
  return runBatchJob({
    ...options,
    handOut: (run) =>
      new SharedChunkHandOut({
        run,
        store,
        provider,
        settings,
        workDir,
        noWork: options.noWork === true,
        staleMs,
        onNotice: options.onNotice,
      }),
  });
}
