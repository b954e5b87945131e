/** The one check of an endpoint before a job's first request: can it be reached, and does it serve the API there? */
import { request } from 'undici';
import { normalizeAnthropicBaseUrl } from './anthropic/normalize-anthropic-base-url.ts';
import { joinEndpointPath } from './openai/join-endpoint-path.ts';
import { findErrno } from './sdk-error-fields.ts';

export interface EndpointProbeTarget {
  provider: 'openai' | 'anthropic';
  mode: 'realtime' | 'batch';
  baseUrl: string;
  apiKey: string | null;
  /** Azure speaks `api-key`, and its batch paths need an `api-version`: only reachability is checked there. */
  azure?: boolean;
  /** Deadline of one probe request, in ms. @default 30000 */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Whether the endpoint can serve the job, and if not, which URL failed and how. */
export type EndpointProbe = { ok: true } | { ok: false; url: string; failure: string };

/**
 * Asks the endpoint once, before the job's first request, whether it can serve the job at all, so a wrong or dead
 * `base_url` stops the run at once instead of failing every item (realtime) or retrying for ever (batch):
 * - no connection (refused, DNS, no answer in time): not ok;
 * - batch mode: `GET .../batches?limit=1` (Anthropic `/v1/messages/batches`) answering 404: no Batches API there;
 * - realtime: `GET .../models`; many servers have no `/models`, so a 404 there is not enough: the generation path
 *   itself is asked with an empty body (`POST .../chat/completions {}`, which a server that serves it refuses with
 *   400/422 and generates nothing), and only a 404 there too is not ok.
 * Any other answer (2xx, 401/403, 429, 5xx) means the endpoint is there: the run's own requests deal with it.
 */
export async function probeEndpoint(target: EndpointProbeTarget): Promise<EndpointProbe> {
  const headers: Record<string, string> = { 'user-agent': 'batchpilot' };
  const key = target.apiKey ?? '';
  let base = target.baseUrl.replace(/\/+$/, '');
  let listUrl: string;
  let generationUrl: string;
  if (target.provider === 'anthropic') {
    base = `${normalizeAnthropicBaseUrl(base)}/v1`;
    headers['anthropic-version'] = '2023-06-01';
    if (key !== '') headers['x-api-key'] = key;
    listUrl = target.mode === 'batch' ? `${base}/messages/batches?limit=1` : `${base}/models`;
    generationUrl = `${base}/messages`;
  } else {
    if (key !== '') {
      if (target.azure === true) headers['api-key'] = key;
      else headers['authorization'] = `Bearer ${key}`;
    }
    listUrl = target.mode === 'batch' ? `${base}/batches?limit=1` : `${base}/models`;
    generationUrl = joinEndpointPath(base, '/v1/chat/completions');
  }
  const listed = await ask(listUrl, 'GET', headers, target);
  if (typeof listed === 'string') return { ok: false, url: listUrl, failure: listed };
  if (listed !== 404 || target.azure === true) return { ok: true };
  if (target.mode === 'batch') {
    return { ok: false, url: listUrl, failure: 'HTTP 404: no Batches API there (is base_url right?)' };
  }
  const posted = await ask(generationUrl, 'POST', { ...headers, 'content-type': 'application/json' }, target);
  if (typeof posted === 'string') return { ok: false, url: generationUrl, failure: posted };
  if (posted === 404) return { ok: false, url: generationUrl, failure: 'HTTP 404: the API is not served there' };
  return { ok: true };
}

/** The status of one probe request, or why there was none. */
async function ask(
  url: string,
  method: 'GET' | 'POST',
  headers: Record<string, string>,
  target: EndpointProbeTarget,
): Promise<number | string> {
  const timeoutMs = target.timeoutMs ?? 30_000;
  try {
    const response = await request(url, {
      method,
      headers,
      ...(method === 'POST' ? { body: '{}' } : {}),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      ...(target.signal === undefined ? {} : { signal: target.signal }),
    });
    // The body is not needed; drain it so the connection can be reused.
    await response.body.dump();
    return response.statusCode;
  } catch (error) {
    const own = (error as { code?: unknown }).code;
    if (own === 'UND_ERR_HEADERS_TIMEOUT' || own === 'UND_ERR_BODY_TIMEOUT' || own === 'UND_ERR_CONNECT_TIMEOUT') {
      return `no answer within ${String(timeoutMs)} ms`;
    }
    return `connection failed (${findErrno(error) ?? (error as Error).message})`;
  }
}
