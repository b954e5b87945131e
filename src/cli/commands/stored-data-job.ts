import type { ResolvedConfig } from '../../config/config-schema.ts';
import { fromStoredConfig } from '../../config/load-config.ts';
import type { Job } from '../../core/job.ts';
import { isLeaseLive } from '../../engine/lease.ts';
import { StoreError } from '../../errors/index.ts';
import { requireJob } from '../../store/require-job.ts';
import type { Store } from '../../store/store.ts';
import type { IntegrateDataJobResult } from '../../output/integrate-data-job.ts';
import type { CommandExit } from '../command-exit.ts';

/**
 * A job as `validate JOB` and `integrate JOB` read it: its stored config (no key needed: they send nothing), and
 * refused (`JOB_LOCKED`) while a live process runs it, whose own join-back comes when it ends.
 */
export async function openStoredDataJob(
  store: Store,
  jobId: string,
  command: string,
): Promise<{ job: Job; config: ResolvedConfig }> {
  const job = await requireJob(store, jobId);
  if (isLeaseLive(job.lease, Date.now())) {
    throw new StoreError(
      'JOB_LOCKED',
      `job ${jobId} is being run by process ${String(job.lease?.pid ?? '?')}; it writes the enriched dataset when it ends, or run "batchpilot ${command} ${jobId}" after that`,
      { context: { jobId } },
    );
  }
  const { config, warnings } = await fromStoredConfig(job.config, { env: process.env, flags: {}, requireKey: false });
  for (const warning of warnings) process.stderr.write(`batchpilot: warning: ${warning}\n`);
  return { job, config };
}

/**
 * Ends `validate JOB` / `integrate JOB` as a data job's run ends: the summary (or one JSON document with `fields`
 * and the report), then exit 3 (`COVERAGE_BELOW_MIN`) when a prompt fell short.
 */
export async function finishJoinBack(
  options: { json: boolean; jobId: string; integration: IntegrateDataJobResult; lines?: string[]; fields?: object },
  exit: CommandExit,
): Promise<void> {
  // Loaded here, not with the command: every command's start-up would pay for the join-back's modules.
  const { coverageShortfallError } = await import('../../output/integrate-data-job.ts');
  const shortfall = coverageShortfallError(options.integration, options.jobId);
  if (options.json) {
    const error = shortfall === undefined ? {} : { error: shortfall.toJSON() };
    const document = { job_id: options.jobId, ...options.fields, integration: options.integration.report, ...error };
    process.stdout.write(`${JSON.stringify(document)}\n`);
    exit.code = shortfall?.exitCode ?? 0;
    return;
  }
  process.stdout.write(`${[...(options.lines ?? []), ...options.integration.summary].join('\n')}\n`);
  if (shortfall !== undefined) throw shortfall;
}
