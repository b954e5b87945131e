import type { ResolvedConfig } from '../config/config-schema.ts';
import type { RunJobResult } from '../engine/run-outcome.ts';
import { exitCodeFor } from '../errors/index.ts';
import { coverageShortfallError } from '../output/integrate-data-job.ts';
import { RESULT_FILES } from '../output/result-file-names.ts';
import type { Store } from '../store/store.ts';
import type { EndpointProbe } from '../providers/probe-endpoint.ts';
import { knownSecrets, redactSecrets } from '../util/redact.ts';
import { runStoredJob, type StoredJobRun } from '../compose/run-stored-job.ts';
import { createProgressRenderer } from './render/progress.ts';
import { createBatchProgressRenderer } from './render/batch-progress.ts';
import { jobExitCode } from './job-exit-code.ts';
import { describeGroups, groupShortfallError } from '../compose/group-shortfall-error.ts';

export interface ExecuteJobOptions {
  store: Store;
  workspace: string;
  /** The PostgreSQL URL `store` was opened with, for the run's join-back thread, which opens the store itself. */
  storeUrl?: string | undefined;
  jobId: string;
  config: ResolvedConfig;
  json: boolean;
  reopenFailed?: boolean;
  progress?: boolean;
  /** `run --no-work` with a shared store: submit and wait while workers send. */
  noWork?: boolean | undefined;
  /** `run --lease-s` with a shared store (see `RunConfiguredJobOptions.leaseS`). */
  leaseS?: number | undefined;
  /** The endpoint's probe, started before the job was created (see `RunConfiguredJobOptions.endpointProbe`). */
  endpointProbe?: Promise<EndpointProbe | undefined> | undefined;
}

/** Runs a created or resumed job in the foreground and returns the process exit code. */
export async function executeJob(options: ExecuteJobOptions): Promise<number> {
  const { config } = options;
  const batchMode = config.mode === 'batch';
  const stop = new AbortController();
  let interrupts = 0;
  const onSignal = (): void => {
    interrupts += 1;
    if (interrupts === 1) {
      process.stderr.write(
        batchMode
          ? '\nbatchpilot: stopping; remote batches keep running, "batchpilot resume" collects them (Ctrl-C again to quit now)\n'
          : '\nbatchpilot: stopping; letting in-flight requests finish (Ctrl-C again to quit now)\n',
      );
      stop.abort();
    } else {
      // Everything committed so far is safe; what was in flight is sent again on resume.
      process.exit(exitCodeFor('INTERRUPTED'));
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let run: StoredJobRun;
  const showProgress = options.progress !== false;
  const realtimeBar = showProgress && !batchMode ? createProgressRenderer(process.stderr) : undefined;
  const batchLine = showProgress && batchMode ? createBatchProgressRenderer(process.stderr) : undefined;
  try {
    run = await runStoredJob({
      store: options.store,
      workspace: options.workspace,
      storeUrl: options.storeUrl,
      jobId: options.jobId,
      config,
      signal: stop.signal,
      reopenFailed: options.reopenFailed ?? false,
      noWork: options.noWork,
      leaseS: options.leaseS,
      endpointProbe: options.endpointProbe,
      ...(realtimeBar === undefined ? {} : { onRealtimeProgress: (progress) => realtimeBar.update(progress) }),
      ...(batchLine === undefined ? {} : { onBatchProgress: (progress) => batchLine.update(progress) }),
      onSimulator: (baseUrl) => process.stderr.write(`batchpilot: built-in simulator on ${baseUrl}\n`),
      onNotice: (message) => {
        const line = `batchpilot: warning: ${message}`;
        if (batchLine === undefined) process.stderr.write(`${line}\n`);
        else batchLine.note(line);
      },
    });
  } finally {
    realtimeBar?.stop();
    batchLine?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const { result, stopError } = run;
  if (stopError !== undefined) {
    if (options.json) {
      // One JSON document, not a result and then an error: a script reads one value per run.
      const message = redactSecrets(stopError.message, knownSecrets());
      process.stdout.write(
        `${JSON.stringify({ ...summaryJson(result), error: { code: stopError.code, message, context: stopError.context } })}\n`,
      );
      return stopError.exitCode;
    }
    printSummary(result, false);
    throw stopError;
  }
  const { integration } = result;
  if (integration === undefined) {
    printSummary(result, options.json);
    return jobExitCode(result.outcome, result.report);
  }
  // A data job: its answers are judged by the join-back's coverage, not by the items' states alone; a job with groups
  // by its groups' targets instead (invalid answers are made up by more rows: coverage is not what it asked for).
  const shortfall =
    result.report.groups === undefined
      ? coverageShortfallError(integration, result.report.job_id)
      : result.outcome === 'completed'
        ? groupShortfallError(result.report)
        : undefined;
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({ ...summaryJson(result), integration: integration.report, ...(shortfall === undefined ? {} : { error: shortfall.toJSON() }) })}\n`,
    );
    return shortfall?.exitCode ?? jobExitCode(result.outcome, result.report);
  }
  printSummary(result, false);
  // The integration summary has a line per group (its rows); the run's own figures only when it has none.
  const groupLines = integration.report.groups === undefined ? describeGroups(result.report.groups ?? []) : [];
  process.stdout.write(`${[...integration.summary, ...groupLines].join('\n')}\n`);
  if (shortfall !== undefined) throw shortfall;
  return jobExitCode(result.outcome, result.report);
}

function summaryJson(result: RunJobResult): Record<string, unknown> {
  return { job_id: result.report.job_id, outcome: result.outcome, report: result.report };
}

/** `cost $0.0123 (realtime, gpt-4o-mini); the same job in batch mode: $0.0062`, or why there is no figure. */
function describeCost(report: RunJobResult['report']): string | undefined {
  const { cost } = report;
  if (cost === undefined || (cost.model === null && report.tokens.input + report.tokens.output === 0)) return undefined;
  if (cost.usd === null) {
    return `cost: no price known for model ${cost.model ?? '(none)'}; add it under "prices" in batchpilot.yaml to see one`;
  }
  const usd = (value: number | null): string =>
    value === null ? '?' : `$${value >= 1 ? value.toFixed(2) : value.toFixed(6)}`;
  return `cost ${usd(cost.usd)} (${cost.mode}, ${cost.model ?? '?'}, ${String(report.tokens.input)} tokens in, ${String(report.tokens.output)} out); the same job in ${cost.other_mode.mode} mode: ${usd(cost.other_mode.usd)}`;
}

function printSummary(result: RunJobResult, json: boolean): void {
  const { report } = result;
  if (json) {
    process.stdout.write(`${JSON.stringify(summaryJson(result))}\n`);
    return;
  }
  const c = report.counts;
  const lines = [
    `job ${report.job_id} ${result.outcome}: ${String(c.succeeded)} succeeded, ${String(c.failed)} failed, ${String(c.missing)} missing, ${String(c.rejected)} rejected` +
      (c.skipped === undefined ? '' : `, ${String(c.skipped)} skipped (target reached)`) +
      ` (${String(c.total)} items, ${report.wall_time_s.toFixed(1)} s, ${String(report.throughput_rps)} req/s, ${String(report.retries)} retries)`,
  ];
  if (c.left_out_by_limit > 0) {
    lines.push(
      `limit ${String(report.limit)}: ${String(c.left_out_by_limit)} valid items left out (in missing_records.jsonl)`,
    );
  }
  const cost = describeCost(report);
  if (cost !== undefined) lines.push(cost);
  const folder =
    report.files['output'] === undefined ? '' : report.files['output'].slice(0, -RESULT_FILES.output.length);
  lines.push(`files in ${folder}`);
  lines.push(`  ${Object.values(RESULT_FILES).join('  ')}`);
  if (report.batch !== undefined) {
    const ended = report.batch.chunks.filter((chunk) => chunk.state === 'merged').length;
    lines.push(
      `batch: ${String(report.batch.chunks.length)} chunks (${String(ended)} merged) through ${report.batch.provider}, at ${String(report.batch.discount)}x the realtime price`,
    );
  }
  if (result.outcome === 'interrupted') lines.push(`resume with: batchpilot resume ${report.job_id}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
