import type { ResolvedConfig } from '../config/config-schema.ts';
import { createRealtimeProvider } from '../providers/create-provider.ts';
import type { HttpConnections } from '../providers/http-connections.ts';
import type { RealtimeProvider } from '../providers/provider.ts';
import { knownSecrets } from '../util/redact.ts';
import { redactRealtimeProvider } from './redact-provider.ts';

export interface OpenRealtimeProviderOptions {
  config: ResolvedConfig;
  baseUrl: string | undefined;
  /** The job's folder: command targets run there. */
  workDir: string;
  env: Readonly<Record<string, string | undefined>>;
  sharedConnections?: HttpConnections | undefined;
}

/**
 * The realtime provider a job's config names, wrapped by `redact-provider.ts` so nothing it returns or throws reaches
 * the engine before the secrets in use are masked: this job's key and every other one this process was given (a
 * scheduler or a worker runs several jobs).
 */
export function openRealtimeProvider(options: OpenRealtimeProviderOptions): RealtimeProvider {
  const { config } = options;
  // Frozen: redaction works out what to mask for this list once (util/redact.ts), not per answer.
  const secrets = Object.freeze([...(config.apiKey === null ? [] : [config.apiKey]), ...knownSecrets()]);
  return redactRealtimeProvider(
    createRealtimeProvider({
      provider: config.provider,
      baseUrl: options.baseUrl,
      apiKey: config.apiKey,
      concurrency: config.concurrency,
      workDir: options.workDir,
      commandTargets: config.command.targets,
      env: options.env,
      sharedConnections: options.sharedConnections,
      proxy: config.proxy,
      maxResponseBytes: config.max_response_bytes,
      idleTimeoutMs: config.idle_timeout_ms,
    }),
    secrets,
  );
}
