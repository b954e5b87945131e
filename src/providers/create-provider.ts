import type { BatchProvider, RealtimeProvider } from './provider.ts';
import { detectBatchDialect, type BatchDialectName } from './openai/batch-dialects.ts';
import { OpenAIRealtimeProvider } from './openai/openai-realtime-provider.ts';
import type { HttpConnections } from './http-connections.ts';
import type { ProxySettings } from '../config/proxy-settings.ts';
import { createProxyDispatcher } from './create-proxy-dispatcher.ts';
import { CommandProvider, type CommandTarget } from './command/command-provider.ts';

export interface CreateProviderOptions {
  provider: 'openai' | 'anthropic' | 'command';
  /** Required except for `provider: command`, which runs local processes. */
  baseUrl: string | undefined;
  apiKey: string | null;
  concurrency: number;
  /** The job's folder in the workspace: command tasks keep their logs and outputs under `tasks/`. */
  workDir: string;
  /** `command.targets`, for `provider: command`. */
  commandTargets: Readonly<Record<string, CommandTarget>>;
  /** Where `command.targets.X.env` variables are read from; commands get nothing else but a base (see task-environment.ts). */
  env: Readonly<Record<string, string | undefined>>;
  /** Connections shared by the jobs of this process (the scheduler's); the provider's own pool when unset. */
  sharedConnections?: HttpConnections | undefined;
  /** `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY` as the config read them (`ResolvedConfig.proxy`). */
  proxy?: ProxySettings | null | undefined;
  /** `max_response_bytes`: the most bytes of one answer (HTTP body, or a task's stdout) read. */
  maxResponseBytes?: number | undefined;
  /** `idle_timeout_ms`: longest silence while an answer's body arrives. */
  idleTimeoutMs?: number | undefined;
}

/** The one place a provider adapter is chosen. Only the composition layer calls it (`compose/run-configured-job.ts`). */
export function createRealtimeProvider(options: CreateProviderOptions): RealtimeProvider {
  if (options.provider === 'command') {
    return new CommandProvider({
      workDir: options.workDir,
      targets: options.commandTargets,
      env: options.env,
      maxResultBytes: options.maxResponseBytes,
    });
  }
  if (options.baseUrl === undefined) throw new Error('base_url is validated by the config layer');
  return new OpenAIRealtimeProvider({
    baseUrl: options.baseUrl,
    apiKey: options.apiKey,
    connections: options.concurrency,
    sharedConnections: options.sharedConnections,
    proxy: options.proxy,
    maxResponseBytes: options.maxResponseBytes,
    idleTimeoutMs: options.idleTimeoutMs,
  });
}

export interface CreateBatchProviderOptions {
  provider: 'openai' | 'anthropic' | 'command';
  baseUrl: string;
  apiKey: string | null;
  /** `batch.dialect`; `auto` decides from the base URL. */
  dialect: BatchDialectName | 'auto';
  completionWindow: string;
  /** Deadline of one API call, in ms. */
  timeoutMs: number;
  /** `ResolvedConfig.proxy`. */
  proxy?: ProxySettings | null | undefined;
  /** `max_response_bytes`: the longest result line held whole. */
  maxResponseBytes?: number | undefined;
}

/**
 * The one place a batch adapter is chosen. The SDKs behind them load only here, when a batch
 * job needs one: importing both at startup would cost every command about 0.3 s.
 */
/**
 * The `name` of the batch provider `createBatchProvider` makes for these options (report.json's `batch.provider`),
 * known without making it: `collect JOB` writes the report a batch run wrote, with no provider.
 */
export function batchProviderName(options: {
  provider: CreateBatchProviderOptions['provider'];
  /** Undefined: an OpenAI endpoint (the built-in simulator). */
  baseUrl: string | undefined;
  dialect: CreateBatchProviderOptions['dialect'];
}): string {
  if (options.provider === 'anthropic') return 'anthropic-batch';
  const { dialect, baseUrl } = options;
  return `openai-batch:${dialect !== 'auto' ? dialect : baseUrl === undefined ? 'openai' : detectBatchDialect(baseUrl)}`;
}

export async function createBatchProvider(options: CreateBatchProviderOptions): Promise<BatchProvider> {
  if (options.provider === 'command') throw new Error('provider: command has no batch mode (validated by the config)');
  const dispatcher = options.proxy == null ? undefined : createProxyDispatcher(options.proxy);
  if (options.provider === 'anthropic') {
    const { AnthropicBatchProvider } = await import('./anthropic/anthropic-batch-provider.ts');
    return new AnthropicBatchProvider({
      baseUrl: options.baseUrl,
      apiKey: options.apiKey,
      timeoutMs: options.timeoutMs,
      dispatcher,
      maxResponseBytes: options.maxResponseBytes,
    });
  }
  const { OpenAIBatchProvider } = await import('./openai/openai-batch-provider.ts');
  return new OpenAIBatchProvider({
    baseUrl: options.baseUrl,
    apiKey: options.apiKey,
    dialect: options.dialect === 'auto' ? detectBatchDialect(options.baseUrl) : options.dialect,
    completionWindow: options.completionWindow,
    timeoutMs: options.timeoutMs,
    dispatcher,
    maxResponseBytes: options.maxResponseBytes,
  });
}
