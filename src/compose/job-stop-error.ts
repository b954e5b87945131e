import type { ResolvedConfig } from '../config/config-schema.ts';
import type { RunJobResult } from '../engine/run-outcome.ts';
import { AuthenticationError, BatchpilotError, EndpointError } from '../errors/index.ts';

/**
 * Why a run stopped before its end for every item (a refused key, an endpoint gone too long), as the error to show:
 * `AUTH_FAILED` or `ENDPOINT_UNREACHABLE`; undefined for every other outcome. The CLI prints it after the summary,
 * the library throws it.
 */
export function jobStopError(result: RunJobResult, config: ResolvedConfig, jobId: string): BatchpilotError | undefined {
  if (result.outcome === 'auth_failed') {
    const status = result.fatal?.status ?? 401;
    return new BatchpilotError(
      'AUTH_FAILED',
      `the provider refused the request with HTTP ${String(status)} (${result.fatal?.message ?? 'unauthorized'}); check the key in $${config.api_key_env} (api_key_env) and base_url, then run "batchpilot resume ${jobId}"`,
      {
        cause: result.fatal instanceof AuthenticationError ? undefined : result.fatal,
        context: { jobId },
      },
    );
  }
  if (result.outcome === 'unreachable') {
    const waited = Math.round((result.outageMs ?? 0) / 1000);
    return new EndpointError(
      'ENDPOINT_UNREACHABLE',
      `base_url ${config.simulate ? '(the built-in simulator)' : (config.base_url ?? '?')} could not be reached for ${String(waited)} s (outage.max_wait_s; last: ${result.fatal?.message ?? 'connection failed'}); the job stopped with no item failed for it. Run "batchpilot resume ${jobId}" once the endpoint is back`,
      { context: { key: 'base_url', jobId } },
    );
  }
  return undefined;
}
