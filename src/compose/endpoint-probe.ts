import type { ResolvedConfig } from '../config/config-schema.ts';
import { detectBatchDialect } from '../providers/openai/batch-dialects.ts';
import { probeEndpoint, type EndpointProbe } from '../providers/probe-endpoint.ts';

/**
 * The one probe of a job's endpoint before its first request (decision 0009), as its config asks for it: a
 * `provider: command` job has no endpoint, so nothing refuses it. `baseUrl` is the config's or the built-in
 * simulator's.
 */
export async function probeJobEndpoint(
  config: ResolvedConfig,
  baseUrl: string,
  signal: AbortSignal | undefined,
): Promise<EndpointProbe> {
  if (config.provider === 'command') return { ok: true };
  return probeEndpoint({
    provider: config.provider,
    mode: config.mode,
    baseUrl,
    apiKey: config.apiKey,
    azure:
      config.mode === 'batch' &&
      (config.batch.dialect === 'auto' ? detectBatchDialect(baseUrl) : config.batch.dialect) === 'azure',
    timeoutMs: Math.min(config.timeout_ms, 30_000),
    ...(signal === undefined ? {} : { signal }),
  });
}

/**
 * The probe started as soon as a `run` knows its config, before it creates the job: its round trip (one answer of the
 * endpoint, 100-300 ms away) then overlaps creating the job, preparing a data job and loading the engine, instead of
 * coming between them and the first request (issue 15). None when the job's endpoint is only known later (the
 * built-in simulator) or needs no probe. `signal` abandons it when the command ends before the run asks for it.
 */
export function startEndpointProbe(config: ResolvedConfig, signal: AbortSignal): Promise<EndpointProbe> | undefined {
  if (config.simulate || config.base_url === undefined) return undefined;
  return probeJobEndpoint(config, config.base_url, signal);
}
