import { request, type Dispatcher } from 'undici';
import type { ProxySettings } from '../config/proxy-settings.ts';
import { createProxyDispatcher } from './create-proxy-dispatcher.ts';
import { ConnectionError, ProviderError } from '../errors/index.ts';
import { normalizeAnthropicBaseUrl } from './anthropic/normalize-anthropic-base-url.ts';
import { errorBodyMessage } from './error-body-message.ts';
import { findErrno } from './sdk-error-fields.ts';

export interface ModelCheckTarget {
  provider: 'openai' | 'anthropic' | 'command';
  baseUrl: string;
  apiKey: string | null;
  timeoutMs?: number;
  /** `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY` as the config read them; null or unset: straight to the endpoint. */
  proxy?: ProxySettings | null;
}

export interface ModelCheck {
  model: string;
  exists: boolean;
  /** The provider's words when it does not know the model. */
  detail: string | null;
}

/**
 * Asks the provider about each distinct model once (`GET …/models/{id}`), so a misspelt
 * model fails the plan, not request 1 of 50,000. A 404 means unknown; 401/403 and network
 * failures throw (`ProviderError`), since then nothing can be said about the models.
 */
export async function checkModels(target: ModelCheckTarget, models: readonly string[]): Promise<ModelCheck[]> {
  if (target.provider === 'command') return models.map((model) => ({ model, exists: true, detail: null }));
  const dispatcher = target.proxy == null ? undefined : createProxyDispatcher(target.proxy);
  try {
    const checks: ModelCheck[] = [];
    for (const model of models) checks.push(await checkModel(target, model, dispatcher));
    return checks;
  } finally {
    await dispatcher?.close();
  }
}

async function checkModel(
  target: ModelCheckTarget,
  model: string,
  dispatcher: Dispatcher | undefined,
): Promise<ModelCheck> {
  const base = target.baseUrl.replace(/\/+$/, '');
  const headers: Record<string, string> = { 'user-agent': 'batchpilot' };
  let url: string;
  if (target.provider === 'anthropic') {
    url = `${normalizeAnthropicBaseUrl(base)}/v1/models/${encodeURIComponent(model)}`;
    headers['anthropic-version'] = '2023-06-01';
    if (target.apiKey !== null) headers['x-api-key'] = target.apiKey;
  } else {
    url = `${base}/models/${encodeURIComponent(model)}`;
    if (target.apiKey !== null && target.apiKey !== '') headers['authorization'] = `Bearer ${target.apiKey}`;
  }
  let status: number;
  let text: string;
  try {
    const response = await request(url, {
      method: 'GET',
      headers,
      headersTimeout: target.timeoutMs ?? 30_000,
      bodyTimeout: target.timeoutMs ?? 30_000,
      ...(dispatcher === undefined ? {} : { dispatcher }),
    });
    status = response.statusCode;
    text = await response.body.text();
  } catch (error) {
    const code = findErrno(error) ?? 'UNKNOWN';
    throw new ConnectionError(`asking ${base} about model "${model}": connection failed (${code})`, {
      kind: 'connection',
      errno: code,
      cause: error,
    });
  }
  if (status >= 200 && status < 300) return { model, exists: true, detail: null };
  const detail = errorBodyMessage(text) ?? `HTTP ${String(status)}`;
  if (status === 404) return { model, exists: false, detail };
  throw ProviderError.generate(status, `asking ${base} about model "${model}": HTTP ${String(status)}: ${detail}`, {
    body: text.slice(0, 2000),
  });
}
