import { Pool, errors as undiciErrors, type Dispatcher } from 'undici';
import type { HttpConnections } from '../http-connections.ts';
import type { ProxySettings } from '../../config/proxy-settings.ts';
import { createProxyDispatcher } from '../create-proxy-dispatcher.ts';
import type { PreparedRequest } from '../../core/item.ts';
import {
  ConnectionError,
  ERROR_BODY_MAX_BYTES,
  MalformedResponseError,
  ProviderError,
  ResponseTooLargeError,
  TimeoutError,
  type ProviderErrorFields,
} from '../../errors/index.ts';
import { DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_MAX_RESPONSE_BYTES } from '../../config/config-schema.ts';
import { isUtf8 } from 'node:buffer';
import { scanJsonObject } from '../../input/scan-json-object.ts';
import { AnswerAbandoned, AnswerReader, type AnswerReaderOptions, type RawAnswer } from '../answer-reader.ts';
import { Deadlines } from '../deadlines.ts';
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
  /**
   * `max_response_bytes`: a longer answer is abandoned as it arrives (`response_too_large`).
   * @default DEFAULT_MAX_RESPONSE_BYTES (64 MiB)
   */
  maxResponseBytes?: number | undefined;
  /**
   * `idle_timeout_ms`: longest silence while a body arrives before the request fails as a timeout.
   * @default DEFAULT_IDLE_TIMEOUT_MS (60 s)
   */
  idleTimeoutMs?: number | undefined;
}

/**
 * Answers up to this many bytes are decoded and checked with `JSON.parse` (native, fastest for
 * the common small answer). Larger ones stay bytes: checked by a scan that builds nothing
 * (scan-json-object.ts) and handed on undecoded, so an answer costs about twice its size at
 * most (its buffer, and the store's copy), not four or five times.
 */
const PARSE_MAX_BYTES = 1 << 20;

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
  private readonly maxResponseBytes: number;
  private readonly idleTimeoutMs: number;
  private readonly readerOptions: AnswerReaderOptions;
  /** Every request in flight, by its deadline (one timer for all). */
  private readonly deadlines = new Deadlines();
  private readonly watched = new WeakSet<AbortSignal>();

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
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.readerOptions = { maxBytes: this.maxResponseBytes, errorKeepBytes: ERROR_BODY_MAX_BYTES };
    this.headers = { 'content-type': 'application/json', 'user-agent': 'batchpilot' };
    if (options.apiKey !== null && options.apiKey !== '') this.headers['authorization'] = `Bearer ${options.apiKey}`;
  }

  async send(request: PreparedRequest, options: SendOptions): Promise<ProviderResponse> {
    const { signal, timeoutMs } = options;
    if (signal?.aborted === true)
      throw toProviderError(new AnswerAbandoned(false), false, timeoutMs, this.idleTimeoutMs);
    this.watch(signal);
    const reader = new AnswerReader(this.readerOptions, signal);
    this.deadlines.add(reader, Date.now() + timeoutMs);
    let answer: RawAnswer;
    try {
      this.pool.dispatch(
        {
          origin: this.origin,
          method: request.method,
          path: joinEndpointPath(this.basePath, request.url),
          headers: this.headers,
          body: request.body,
          // The deadline is ours (`Deadlines`); undici's defaults (300 s) must never fire first. Its body
          // timeout is an idle timer (reset by every chunk): `idle_timeout_ms`.
          headersTimeout: timeoutMs + 1000,
          bodyTimeout: Math.min(this.idleTimeoutMs, timeoutMs + 1000),
        },
        reader,
      );
      answer = await reader.done;
    } catch (error) {
      const timedOut = error instanceof AnswerAbandoned && error.timedOut;
      throw toProviderError(error, timedOut, timeoutMs, this.idleTimeoutMs);
    } finally {
      this.deadlines.remove(reader);
    }
    const { statusCode, headers } = answer;
    const requestId = readHeader(headers, 'x-request-id') ?? null;
    if (statusCode < 200 || statusCode >= 300) throw createHttpError(statusCode, answer, headers, requestId);
    if (answer.overLimit) throw createTooLargeError(statusCode, answer, this.maxResponseBytes, requestId);
    const head = { statusCode, requestId, rateLimit: readRateLimitHints(headers) };
    return answer.bytes.length <= PARSE_MAX_BYTES
      ? readSmallAnswer(head, answer.bytes.toString('utf8'))
      : readLargeAnswer(head, answer.bytes);
  }

  /** The first request under a stop signal makes it abandon every request in flight under it when it fires. */
  private watch(signal: AbortSignal | undefined): void {
    if (signal === undefined || this.watched.has(signal)) return;
    this.watched.add(signal);
    signal.addEventListener(
      'abort',
      () => {
        for (const entry of this.deadlines.entries()) {
          // Only readers are added to this list.
          const reader = entry as AnswerReader;
          if (reader.signal === signal) reader.abandon(false);
        }
      },
      { once: true },
    );
  }

  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.destroy();
  }
}

type AnswerHead = Omit<ProviderResponse, 'body' | 'usage'>;

function readSmallAnswer(head: AnswerHead, text: string): ProviderResponse {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw malformedAnswer(head, text);
  // Output lines must stay one line each. In valid JSON a line break can only be whitespace
  // between tokens (inside strings it is escaped), so it is blanked, not re-serialised.
  const body = text.includes('\n') || text.includes('\r') ? text.replace(LINE_BREAKS, ' ') : text;
  // The head completed in place, not copied into a spread (every answer passes here).
  return Object.assign(head, { body, usage: convertOpenAIUsage(parsed), parsed });
}

const LINE_BREAKS = /[\r\n]/g;

/** As `readSmallAnswer`, on the bytes: only `usage` is ever parsed, and line breaks are blanked in place. */
function readLargeAnswer(head: AnswerHead, bytes: Buffer): ProviderResponse {
  const scan = scanJsonObject(bytes, 'usage');
  if (!scan.valid || !isUtf8(bytes)) throw malformedAnswer(head, bytes);
  const usage =
    scan.member === undefined
      ? null
      : convertOpenAIUsage({
          usage: JSON.parse(bytes.toString('utf8', scan.member.start, scan.member.end)) as unknown,
        });
  for (const lineBreak of [0x0a, 0x0d]) {
    for (let at = bytes.indexOf(lineBreak); at !== -1; at = bytes.indexOf(lineBreak, at + 1)) bytes[at] = 0x20;
  }
  return Object.assign(head, { body: bytes, usage });
}

function malformedAnswer(head: AnswerHead, body: string | Buffer): ProviderError {
  return new MalformedResponseError('malformed response body: not one JSON object', {
    kind: 'malformed',
    status: head.statusCode,
    // ProviderError keeps only a head of it (cut-error-body.ts).
    body: typeof body === 'string' ? body : body.subarray(0, ERROR_BODY_MAX_BYTES).toString('utf8'),
    bodyBytes: Buffer.byteLength(body),
    ...(head.requestId === null ? {} : { requestId: head.requestId }),
  });
}

function createTooLargeError(
  status: number,
  body: RawAnswer,
  maxBytes: number,
  requestId: string | null,
): ProviderError {
  const message = `the answer is over max_response_bytes (${String(maxBytes)} bytes): reading stopped at ${String(body.totalBytes)} bytes; raise max_response_bytes to accept it`;
  return new ResponseTooLargeError(message, {
    kind: 'response_too_large',
    status,
    bodyBytes: body.totalBytes,
    ...(requestId === null ? {} : { requestId }),
  });
}

function createHttpError(
  status: number,
  body: RawAnswer,
  headers: ResponseHeaders,
  requestId: string | null,
): ProviderError {
  const text = body.bytes.toString('utf8');
  const detail = errorBodyMessage(text) ?? (text.length > 0 && !isJson(text) ? text.slice(0, 200) : undefined);
  const message = detail === undefined ? `HTTP ${String(status)}` : `HTTP ${String(status)}: ${detail}`;
  const fields: Omit<ProviderErrorFields, 'kind' | 'status'> = { body: text, bodyBytes: body.totalBytes };
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

function toProviderError(error: unknown, timedOut: boolean, timeoutMs: number, idleTimeoutMs: number): ProviderError {
  if (!timedOut && error instanceof undiciErrors.BodyTimeoutError) {
    return new TimeoutError(`the answer stopped arriving: no byte for ${String(idleTimeoutMs)} ms (idle_timeout_ms)`, {
      kind: 'timeout',
      answerStarted: true,
      cause: error,
    });
  }
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
