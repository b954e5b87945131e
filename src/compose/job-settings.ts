import type { ResolvedConfig } from '../config/config-schema.ts';
import type { BatchRunSettings } from '../engine/batch/run-batch-job.ts';
import type { RunSettings } from '../engine/run-job.ts';
import { DEFAULT_OUTAGE_MAX_WAIT_S } from '../engine/outage-watch.ts';

/** The engine's view of a resolved config. */
export function toRunSettings(config: ResolvedConfig): RunSettings {
  const request: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config.request)) {
    if (key !== 'extra_body' && value !== undefined) request[key] = value;
  }
  return {
    concurrency: config.concurrency,
    timeoutMs: config.timeout_ms,
    retry: {
      maxAttempts: config.retry.max_attempts,
      baseDelayMs: config.retry.base_delay_ms,
      maxDelayMs: config.retry.max_delay_ms,
    },
    rpm: config.rate_limit.rpm,
    tpm: config.rate_limit.tpm,
    limit: config.limit,
    order: config.output.order,
    maxLineBytes: config.input.max_line_bytes,
    budgetUsd: config.limits.budget_usd,
    prices: config.prices,
    // Local commands share no endpoint: a task that fails to start or times out is that task's failure.
    outageMaxWaitMs:
      config.provider === 'command' ? null : (config.outage.max_wait_s ?? DEFAULT_OUTAGE_MAX_WAIT_S.realtime) * 1000,
    parser: {
      format: config.input.format,
      messagesKey: config.input.messages_key,
      defaults: { model: config.model, request, extraBody: config.request.extra_body ?? {} },
      maxLineBytes: config.input.max_line_bytes,
      commandTargets: config.provider === 'command' ? config.command.targets : undefined,
    },
  };
}

/** The batch engine's view of a resolved config. */
export function toBatchSettings(config: ResolvedConfig): BatchRunSettings {
  const common = toRunSettings(config);
  return {
    retry: common.retry,
    limit: common.limit,
    order: common.order,
    parser: common.parser,
    maxLineBytes: common.maxLineBytes,
    chunkMaxRequests: config.chunk.max_requests,
    chunkMaxBytes: config.chunk.max_bytes,
    maxConcurrent: config.batch.max_concurrent,
    maxEnqueuedTokens: config.batch.max_enqueued_tokens,
    pollIntervalMs: config.poll_interval_s * 1000,
    budgetUsd: common.budgetUsd ?? 0,
    prices: common.prices ?? {},
    outageMaxWaitMs: (config.outage.max_wait_s ?? DEFAULT_OUTAGE_MAX_WAIT_S.batch) * 1000,
  };
}
