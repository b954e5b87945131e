import { Pool, errors as undiciErrors, type Dispatcher } from 'undici';
import type { HttpConnections } from '../http-connections.ts';
import type { ProxySettings } from '../../config/proxy-settings.ts';
import { createProxyDispatcher } from '../create-proxy-dispatcher.ts';
import type { PreparedRequest } from '../../core/item.ts';
import {
  ConnectionError,
  MalformedResponseError,
  ProviderError,
  TimeoutError,
  type ProviderErrorFields,
} from '../../errors/index.ts';
import type { ProviderResponse, RealtimeProvider, SendOptions } from '../provider.ts';
import { convertOpenAIUsage } from './convert-openai-usage.ts';
import { joinEndpointPath } from './join-endpoint-path.ts';
import { errorBodyMessage } from '../error-body-message.ts';
import { readHeader, readRateLimitHints, type ResponseHeaders } from './read-rate-limit-hints.ts';
import { parseRetryAfter } from '../../util/parse-retry-after.ts';

export interface OpenAIRealtimeProviderOptions {
  /** e.g. `https://api.openai.com/v1` or `http://127.0.0.1:8000/v1`. */
  baseUrl: string;
  apiKey: string | null;
  /** Keep-alive connections to open at most; the engine's concurrency. Unused with `sharedConnections`. */
  connections: number;
  /** Connections shared with other jobs of this process (the scheduler's); not closed by `close()`. */
  sharedConnections?: HttpConnections | undefined;
  /** Send through this proxy (unless `noProxy` names the endpoint); unused with `sharedConnections`. */
  proxy?: ProxySettings | null | undefined;
}

const ERROR_BODY_EXCERPT_CHARS = 2000;

/**
 * OpenAI-compatible chat/completions/embeddings/responses over one undici `Pool`
 * (keep-alive, no pipelining), its own or one shared by the jobs of a scheduler. The official SDK is not used on this path: it parses and
 * re-serialises every body and retries on its own, and this loop runs at thousands of
 * requests per second with our own retry policy.
 */
export class OpenAIRealtimeProvider implements RealtimeProvider {
  readonly name = 'openai';
  private readonly pool: Dispatcher;
  private readonly ownsPool: boolean;
  private readonly origin: string;
  private readonly basePath: string;
  private readonly headers: Record<string, string>;

  constructor(options: OpenAIRealtimeProviderOptions) {
    const url = new URL(options.baseUrl);
    this.basePath = url.pathname;
    this.origin = url.origin;
    this.ownsPool = options.sharedConnections === undefined;
    const keepAlive = {
      connections: Math.max(1, options.connections),
      pipelining: 1,
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
    };
    this.pool =
      options.sharedConnections ??
      (options.proxy == null ? new Pool(url.origin, keepAlive) : createProxyDispatcher(options.proxy, keepAlive));
    this.headers = { 'content-type': 'application/json', 'user-agent': 'batchpilot' };
    if (options.apiKey !== null && options.apiKey !== '') this.headers['authorization'] = `Bearer ${options.apiKey}`;
  }

  async send(request: PreparedRequest, options: SendOptions): Promise<ProviderResponse> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, options.timeoutMs);
    const onOuterAbort = (): void => controller.abort();
    options.signal?.addEventListener('abort', onOuterAbort, { once: true });
    try {
      const response = await this.pool.request({
        origin: this.origin,
        method: request.method,
        path: joinEndpointPath(this.basePath, request.url),
        headers: this.headers,
        body: request.body,
        signal: controller.signal,
        // Our own timer is the deadline; undici's defaults (300 s) must never fire first.
        headersTimeout: options.timeoutMs + 1000,
        bodyTimeout: options.timeoutMs + 1000,
      });
      const text = await response.body.text();
      const headers = response.headers;
      const requestId = readHeader(headers, 'x-request-id') ?? null;
      if (response.statusCode < 200 || response.statusCode >= 300) {
        throw createHttpError(response.statusCode, text, headers, requestId);
      }
      return parseSuccess(response.statusCode, text, headers, requestId);
    } catch (error) {
      if (error instanceof ProviderError) throw error;
      throw toProviderError(error, timedOut, options.timeoutMs);
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onOuterAbort);
    }
  }

  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.destroy();
  }
}

function parseSuccess(statusCode: number, text: string, headers: ResponseHeaders, requestId: string | null) {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new MalformedResponseError(`malformed response body: ${(error as Error).message}`, {
      kind: 'malformed',
      status: statusCode,
      body: text.slice(0, ERROR_BODY_EXCERPT_CHARS),
      ...(requestId === null ? {} : { requestId }),
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new MalformedResponseError('malformed response body: not a JSON object', {
      kind: 'malformed',
      status: statusCode,
      body: text.slice(0, ERROR_BODY_EXCERPT_CHARS),
    });
  }
  // Output lines must stay one line each; compact only the rare pretty-printed body.
  const body = text.includes('\n') || text.includes('\r') ? JSON.stringify(parsed) : text;
  const response: ProviderResponse = {
    statusCode,
    requestId,
    body,
    usage: convertOpenAIUsage(parsed),
    rateLimit: readRateLimitHints(headers),
  };
  return response;
}

function createHttpError(
  status: number,
  text: string,
  headers: ResponseHeaders,
  requestId: string | null,
): ProviderError {
  const detail = errorBodyMessage(text) ?? (text.length > 0 && !isJson(text) ? text.slice(0, 200) : undefined);
  const message = detail === undefined ? `HTTP ${String(status)}` : `HTTP ${String(status)}: ${detail}`;
  const fields: Omit<ProviderErrorFields, 'kind' | 'status'> = { body: text.slice(0, ERROR_BODY_EXCERPT_CHARS) };
  if (requestId !== null) fields.requestId = requestId;
  const retryAfterMs = parseRetryAfter(
    readHeader(headers, 'retry-after-ms'),
    readHeader(headers, 'retry-after'),
    Date.now(),
  );
  if (retryAfterMs !== undefined) fields.retryAfterMs = retryAfterMs;
  const shouldRetry = readHeader(headers, 'x-should-retry');
  if (shouldRetry === 'true' || shouldRetry === 'false') fields.shouldRetryHeader = shouldRetry === 'true';
  return ProviderError.generate(status, message, fields);
}

function toProviderError(error: unknown, timedOut: boolean, timeoutMs: number): ProviderError {
  if (timedOut || error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError) {
    return new TimeoutError(`no complete answer within ${String(timeoutMs)} ms (timeout_ms)`, {
      kind: 'timeout',
      cause: error,
    });
  }
  if (error instanceof undiciErrors.RequestAbortedError || (error as Error).name === 'AbortError') {
    return new ProviderError('request abandoned: the job is stopping', { kind: 'aborted', cause: error });
  }
  const errno = (error as { code?: unknown }).code;
  const causeCode = ((error as { cause?: { code?: unknown } }).cause ?? {}).code;
  const code = typeof causeCode === 'string' ? causeCode : typeof errno === 'string' ? errno : 'UNKNOWN';
  return new ConnectionError(`connection failed (${code}): ${(error as Error).message}`, {
    kind: 'connection',
    errno: code,
    cause: error,
  });
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
