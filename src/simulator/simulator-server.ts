import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { Socket } from 'node:net';
import { handleAnthropicBatchRequest } from './batch/anthropic-batch-routes.ts';
import { createBatchContext } from './batch/batch-context.ts';
import { toOpenAIBatchDialect } from './batch/batch-dialect.ts';
import { type BatchRoute, splitSegments } from './batch/batch-route.ts';
import { handleOpenAIBatchRequest } from './batch/openai-batch-routes.ts';
import { handleOpenAIFileRequest } from './batch/openai-file-routes.ts';
import { scheduleAnswer } from './deliver-answer.ts';
import { createFaultPicker } from './fault-injection.ts';
import { API_PREFIXES, toGenerationEndpoint } from './generation-endpoint.ts';
import { handleGenerationRequest, isAuthorized } from './handle-generation-request.ts';
import { MODEL_LIST_BODY, buildModelBody, buildModelNotFoundBody, modelExists } from './model-catalog.ts';
import { UNAUTHORIZED_BODY, createErrorBody } from './openai-error-body.ts';
import { RpmLimiter } from './rpm-limiter.ts';
import { createSeededRandom } from './seeded-random.ts';
import type { SimulatorContext } from './simulator-context.ts';
import { type SimulatorOptions, resolveSimulatorOptions } from './simulator-options.ts';
import { type OutageOptions, OutageController } from './simulator-outage.ts';
import { type SimulatorStats, SimulatorStatsRecorder } from './simulator-stats.ts';

export interface SimulatorHandle {
  /** `http://HOST:PORT`, without a trailing slash. */
  url: string;
  /** `url + '/v1'`: what an OpenAI client takes as its base URL. */
  baseUrl: string;
  port: number;
  stats(): SimulatorStats;
  resetStats(): void;
  /**
   * Makes the whole server unreachable for `durationMs` (see OutageOptions for the modes); resolves once the outage is
   * in effect. Files, batches and stats survive it; batches keep moving through their lifecycle meanwhile.
   */
  setOutage(options: OutageOptions): Promise<void>;
  /** Ends an outage early; resolves once requests are served again. A no-op without an outage. */
  endOutage(): Promise<void>;
  /** Stops listening and destroys every socket, hung or idle keep-alive ones included; stops every batch timer. */
  close(): Promise<void>;
}

// A different stream from the fault PRNG (see SimulatorContext.jitterRandom); any fixed odd offset would do.
const JITTER_SEED_OFFSET = 0x9e3779b9;
// The embeddings fault PRNG's stream, apart from both.
const EMBEDDING_SEED_OFFSET = 0x85ebca6b;
// Longer than any client pool's idle timeout, so benchmarks do not pay for reconnects.
const KEEP_ALIVE_TIMEOUT_MS = 60_000;

/**
 * Starts an OpenAI-compatible server on loopback. Routes: POST {prefix}chat/completions | completions | embeddings |
 * responses, GET {prefix}models[/:id] for prefix /v1/, /v4/ or /api/paas/v4/; the files and batches routes under the
 * same prefixes (batch/openai-file-routes.ts, batch/openai-batch-routes.ts); Anthropic's /v1/messages/batches
 * (batch/anthropic-batch-routes.ts); GET /stats; POST /stats/reset.
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<SimulatorHandle> {
  const resolved = resolveSimulatorOptions(options);
  const stats = new SimulatorStatsRecorder(resolved.trackDuplicates);
  const context: SimulatorContext = {
    options: resolved,
    stats,
    limiter: resolved.rpm > 0 ? new RpmLimiter({ rpm: resolved.rpm }) : undefined,
    pickFault: createFaultPicker(resolved.failureRates, createSeededRandom(resolved.seed)),
    jitterRandom: createSeededRandom(resolved.seed + JITTER_SEED_OFFSET),
    embeddingFault: createEmbeddingFault(resolved.embeddingErrorRate, resolved.seed + EMBEDDING_SEED_OFFSET),
    expectedAuthorization: resolved.apiKey === undefined ? undefined : `Bearer ${resolved.apiKey}`,
    hangTimers: new Set(),
    structuredAnswers: { rates: resolved.structured, seed: resolved.seed },
    batch: createBatchContext(resolved, stats.batch, () => ++context.sequence, stats.recordStructured),
    sequence: 0,
  };

  // requestTimeout 0: a hang must last until hangMs, not until node's default 300 s request timeout.
  const server = createServer({ keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS, requestTimeout: 0 }, (request, response) =>
    routeRequest(context, outage, request, response),
  );
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  const listen = (port: number): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, resolved.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(resolved.port);
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('The simulator is not listening on TCP');
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${String(address.port)}`;
  context.batch.publicUrl = url;
  // Reopened on the same port after a `refuse` outage, so clients holding the URL reconnect.
  const outage = new OutageController(server, sockets, () => listen(address.port));

  let closing: Promise<void> | undefined;
  return {
    url,
    baseUrl: `${url}/v1`,
    port: address.port,
    stats: () => context.stats.snapshot(),
    resetStats: () => context.stats.reset(),
    setOutage: (outageOptions) => outage.start(outageOptions),
    endOutage: () => outage.end(),
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        outage.close();
        context.batch.close();
        server.close(() => resolve());
        for (const timer of context.hangTimers) clearTimeout(timer);
        context.hangTimers.clear();
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

/** No draw at all when the rate is 0, so a server without the fault behaves as before it existed. */
function createEmbeddingFault(rate: number, seed: number): () => boolean {
  if (rate <= 0) return () => false;
  const random = createSeededRandom(seed);
  return () => random() < rate;
}

function routeRequest(
  context: SimulatorContext,
  outage: OutageController,
  request: IncomingMessage,
  response: ServerResponse,
): void {
  const url = request.url ?? '/';
  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  const method = request.method ?? 'GET';
  const sequence = ++context.sequence;

  // /stats is left out of its own counters, so reading the stats never changes them.
  if (path === '/stats' || path === '/stats/reset') {
    routeStatsRequest(context, response, path, method, sequence);
    return;
  }
  context.stats.requests += 1;
  if (outage.intercept(response)) {
    context.stats.outageDropped += 1;
    return;
  }

  if (path === '/v1/messages' || path.startsWith('/v1/messages/')) {
    const query = new URLSearchParams(queryAt === -1 ? '' : url.slice(queryAt + 1));
    const segments = splitSegments(path.slice('/v1/'.length));
    handleAnthropicBatchRequest(context, request, response, { method, path, segments, query, sequence });
    return;
  }
  const prefix = API_PREFIXES.find((candidate) => path.startsWith(candidate));
  if (prefix === undefined) {
    sendError(context, response, sequence, 404, `Invalid URL (${method} ${path})`, 'unknown_url');
    return;
  }
  const rest = path.slice(prefix.length);
  const resource = rest.split('/', 1)[0];
  if (resource === 'files' || resource === 'batches') {
    if (!isAuthorized(context, request)) {
      context.stats.faults.unauthorized += 1;
      scheduleAnswer(context, response, sequence, { kind: 'answer', status: 401, body: UNAUTHORIZED_BODY });
      return;
    }
    const query = new URLSearchParams(queryAt === -1 ? '' : url.slice(queryAt + 1));
    const route: BatchRoute = { method, path, segments: splitSegments(rest), query, sequence };
    const dialect = toOpenAIBatchDialect(prefix);
    if (resource === 'files') handleOpenAIFileRequest(context, request, response, dialect, route);
    else handleOpenAIBatchRequest(context, request, response, dialect, route);
    return;
  }
  const endpoint = toGenerationEndpoint(rest);
  if (endpoint !== undefined) {
    if (method === 'POST') handleGenerationRequest(context, request, response, endpoint, path, sequence);
    else sendError(context, response, sequence, 405, `Method ${method} not allowed on ${path}`, 'method_not_allowed');
    return;
  }
  if (rest !== 'models' && !rest.startsWith('models/')) {
    sendError(context, response, sequence, 404, `Invalid URL (${method} ${path})`, 'unknown_url');
    return;
  }
  if (method !== 'GET') {
    sendError(context, response, sequence, 405, `Method ${method} not allowed on ${path}`, 'method_not_allowed');
    return;
  }
  if (!isAuthorized(context, request)) {
    context.stats.faults.unauthorized += 1;
    scheduleAnswer(context, response, sequence, { kind: 'answer', status: 401, body: UNAUTHORIZED_BODY });
    return;
  }
  if (rest === 'models') {
    scheduleAnswer(context, response, sequence, { kind: 'answer', status: 200, body: MODEL_LIST_BODY });
    return;
  }
  const id = decodeModelId(rest.slice('models/'.length));
  const planned = modelExists(id)
    ? { kind: 'answer' as const, status: 200, body: buildModelBody(id) }
    : { kind: 'answer' as const, status: 404, body: buildModelNotFoundBody(id) };
  scheduleAnswer(context, response, sequence, planned);
}

function routeStatsRequest(
  context: SimulatorContext,
  response: ServerResponse,
  path: string,
  method: string,
  sequence: number,
): void {
  const wanted = path === '/stats' ? 'GET' : 'POST';
  if (method !== wanted) {
    const body = createErrorBody(
      `Method ${method} not allowed on ${path}`,
      'invalid_request_error',
      'method_not_allowed',
    );
    writeJson(response, 405, body, sequence);
    return;
  }
  if (path === '/stats/reset') context.stats.reset();
  writeJson(response, 200, JSON.stringify(context.stats.snapshot()), sequence);
}

function sendError(
  context: SimulatorContext,
  response: ServerResponse,
  sequence: number,
  status: number,
  message: string,
  code: string,
): void {
  const body = createErrorBody(message, 'invalid_request_error', code);
  scheduleAnswer(context, response, sequence, { kind: 'answer', status, body });
}

/** For /stats only: no latency, no counting. */
function writeJson(response: ServerResponse, status: number, body: string, sequence: number): void {
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-request-id': `req_${String(sequence)}`,
  });
  response.end(body);
}

function decodeModelId(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return encoded;
  }
}
