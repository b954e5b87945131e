import { join } from 'node:path';
import type { ResolvedConfig } from '../config/config-schema.ts';
import { runJob, type RunJobResult } from '../engine/run-job.ts';
import { AuthenticationError, BatchpilotError } from '../errors/index.ts';
import { RESULT_FILES } from '../output/result-file-names.ts';
import { createBatchProvider, createRealtimeProvider } from '../providers/create-provider.ts';
import { runBatchJob } from '../engine/batch/run-batch-job.ts';
import type { SimulatorHandle } from '../simulator/index.ts';
import type { Store } from '../store/store.ts';
import { createLogger, type Logger } from '../util/logger.ts';
import { startQuickstartSimulator } from './quickstart-simulator.ts';
import { createProgressRenderer } from './render/progress.ts';
import { createBatchProgressRenderer } from './render/batch-progress.ts';
import { toBatchSettings, toRunSettings } from './job-settings.ts';

export interface ExecuteJobOptions {
  store: Store;
  workspace: string;
  jobId: string;
  config: ResolvedConfig;
  json: boolean;
  reopenFailed?: boolean;
  progress?: boolean;
}

/** Runs a created or resumed job in the foreground and returns the process exit code. */
export async function executeJob(options: ExecuteJobOptions): Promise<number> {
  const { config } = options;
  let simulator: SimulatorHandle | undefined;
  let baseUrl = config.base_url;
  if (config.simulate) {
    simulator = await startQuickstartSimulator();
    // The Anthropic SDK appends /v1 itself.
    baseUrl = config.provider === 'anthropic' ? simulator.url : simulator.baseUrl;
    process.stderr.write(`batchpilot: built-in simulator on ${simulator.baseUrl}\n`);
  }
  if (baseUrl === undefined && config.provider === 'command') baseUrl = 'command:';
  if (baseUrl === undefined) throw new Error('base_url is validated by loadConfig');
  const logger = createLogger({ file: join(options.workspace, 'jobs', options.jobId, 'job.log') });
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
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let result: RunJobResult;
  try {
    result = batchMode
      ? await runInBatchMode(options, baseUrl, logger, stop.signal)
      : await runInRealtimeMode(options, baseUrl, logger, stop.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await simulator?.close();
  }
  printSummary(result, options.json);
  if (result.outcome === 'auth_failed') {
    const status = result.fatal?.status ?? 401;
    throw new BatchpilotError(
      'AUTH_FAILED',
      `the provider refused the request with HTTP ${String(status)} (${result.fatal?.message ?? 'unauthorized'}); check the key in $${config.api_key_env} (api_key_env) and base_url, then run "batchpilot resume ${options.jobId}"`,
      {
        cause: result.fatal instanceof AuthenticationError ? undefined : result.fatal,
        context: { jobId: options.jobId },
      },
    );
  }
  if (result.outcome === 'interrupted') return 130;
  if (result.outcome === 'cancelled') return 3;
  const { failed, missing } = result.report.counts;
  return failed === 0 && missing === 0 ? 0 : 3;
}

async function runInRealtimeMode(
  options: ExecuteJobOptions,
  baseUrl: string,
  logger: Logger,
  signal: AbortSignal,
): Promise<RunJobResult> {
  const { config } = options;
  const provider = createRealtimeProvider({
    provider: config.provider,
    baseUrl,
    apiKey: config.apiKey,
    concurrency: config.concurrency,
    workDir: join(options.workspace, 'jobs', options.jobId),
    commandTargets: config.command.targets,
  });
  const renderer = options.progress === false ? undefined : createProgressRenderer(process.stderr);
  try {
    return await runJob({
      jobId: options.jobId,
      store: options.store,
      provider,
      settings: toRunSettings(config),
      logger,
      signal,
      reopenFailed: options.reopenFailed ?? false,
      ...(renderer === undefined ? {} : { onProgress: (progress) => renderer.update(progress) }),
    });
  } finally {
    renderer?.stop();
    await provider.close();
  }
}

async function runInBatchMode(
  options: ExecuteJobOptions,
  baseUrl: string,
  logger: Logger,
  signal: AbortSignal,
): Promise<RunJobResult> {
  const { config } = options;
  const provider = createBatchProvider({
    provider: config.provider,
    baseUrl,
    apiKey: config.apiKey,
    dialect: config.batch.dialect,
    completionWindow: config.batch.completion_window,
    timeoutMs: config.timeout_ms,
  });
  const renderer = options.progress === false ? undefined : createBatchProgressRenderer(process.stderr);
  try {
    return await runBatchJob({
      jobId: options.jobId,
      store: options.store,
      provider,
      settings: toBatchSettings(config),
      workDir: join(options.workspace, 'jobs', options.jobId),
      logger,
      signal,
      reopenFailed: options.reopenFailed ?? false,
      ...(renderer === undefined ? {} : { onProgress: (progress) => renderer.update(progress) }),
    });
  } finally {
    renderer?.stop();
    await provider.close();
  }
}

function printSummary(result: RunJobResult, json: boolean): void {
  const { report } = result;
  if (json) {
    process.stdout.write(`${JSON.stringify({ job_id: report.job_id, outcome: result.outcome, report })}\n`);
    return;
  }
  const c = report.counts;
  const lines = [
    `job ${report.job_id} ${result.outcome}: ${String(c.succeeded)} succeeded, ${String(c.failed)} failed, ${String(c.missing)} missing, ${String(c.rejected)} rejected` +
      ` (${String(c.total)} items, ${report.wall_time_s.toFixed(1)} s, ${String(report.throughput_rps)} req/s, ${String(report.retries)} retries)`,
  ];
  if (c.left_out_by_limit > 0) {
    lines.push(
      `limit ${String(report.limit)}: ${String(c.left_out_by_limit)} valid items left out (in missing_records.jsonl)`,
    );
  }
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
