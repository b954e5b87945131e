import { join } from 'node:path';
import type { Chunk } from '../core/chunk.ts';
import type { Job } from '../core/job.ts';
import { writeFileAtomically } from '../output/atomic-write.ts';
import { buildReport, type JobReport } from '../output/build-report.ts';
import { RESULT_FILES } from '../output/result-file-names.ts';
import { writeResultFiles } from '../output/write-result-files.ts';
import type { Store } from '../store/store.ts';
import type { Clock } from '../util/clock.ts';
import type { HeldLease } from './lease.ts';

export interface FinalizeJobOptions {
  store: Store;
  jobId: string;
  finalState: 'completed' | 'failed' | 'interrupted' | 'cancelled';
  order: 'input' | 'completion';
  limit: number;
  /** The run's lease: flushed so the job's active time (summed over all runs) includes this one. */
  lease: HeldLease;
  /**
   * A completed job with nothing left to send only rewrites its files: it stays `completed`
   * throughout, so a kill meanwhile leaves it completed, not interrupted.
   */
  keepState?: boolean;
  clock: Clock;
  /** Batch mode: the chunk lines of the report. */
  batch?: { provider: string; discount: number; chunks: readonly Chunk[] };
}

/**
 * Ends a run, whatever the mode: the result files and report.json are rewritten from the
 * store (each atomically), then the job takes its final state.
 */
export async function finalizeJob(options: FinalizeJobOptions): Promise<{ job: Job; report: JobReport }> {
  const { store, jobId, clock } = options;
  const keepState = options.keepState === true;
  if (!keepState) await store.setJobState(jobId, 'finalizing');
  const counts = await writeResultFiles(store, (await store.getJob(jobId)) as Job, options.order);
  await options.lease.flush();
  const job = (await store.getJob(jobId)) as Job;
  const stats = await store.attemptStats(jobId);
  const report = buildReport({
    job,
    state: options.finalState,
    counts,
    stats,
    limit: options.limit,
    wallMs: job.activeMs,
    now: clock.now(),
    ...(options.batch === undefined ? {} : { batch: options.batch }),
  });
  await writeFileAtomically(join(job.outDir, RESULT_FILES.report), `${JSON.stringify(report, null, 2)}\n`);
  if (!keepState) await store.setJobState(jobId, options.finalState, { finishedAt: clock.now() });
  return { job: (await store.getJob(jobId)) as Job, report };
}
