import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { Socket } from 'node:net';
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
import { type SimulatorStats, SimulatorStatsRecorder } from './simulator-stats.ts';

export interface SimulatorHandle {
  /** `http://HOST:PORT`, without a trailing slash. */
  url: string;
  /** `url + '/v1'`: what an OpenAI client takes as its base URL. */
  baseUrl: string;
  port: number;
  stats(): SimulatorStats;
  resetStats(): void;
  /** Stops listening and destroys every socket, hung or idle keep-alive ones included. */
  close(): Promise<void>;
}

// A different stream from the fault PRNG (see SimulatorContext.jitterRandom); any fixed odd offset would do.
const JITTER_SEED_OFFSET = 0x9e3779b9;
// Longer than any client pool's idle timeout, so benchmarks do not pay for reconnects.
const KEEP_ALIVE_TIMEOUT_MS = 60_000;

/**
 * Starts an OpenAI-compatible server on loopback. Routes: POST {prefix}chat/completions | completions | embeddings |
 * responses, GET {prefix}models[/:id] for prefix /v1/, /v4/ or /api/paas/v4/; GET /stats; POST /stats/reset.
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<SimulatorHandle> {
  const resolved = resolveSimulatorOptions(options);
  const context: SimulatorContext = {
    options: resolved,
    stats: new SimulatorStatsRecorder(resolved.trackDuplicates),
    limiter: resolved.rpm > 0 ? new RpmLimiter({ rpm: resolved.rpm }) : undefined,
    pickFault: createFaultPicker(resolved.failureRates, createSeededRandom(resolved.seed)),
    jitterRandom: createSeededRandom(resolved.seed + JITTER_SEED_OFFSET),
    expectedAuthorization: resolved.apiKey === undefined ? undefined : `Bearer ${resolved.apiKey}`,
    hangTimers: new Set(),
    sequence: 0,
  };

  // requestTimeout 0: a hang must last until hangMs, not until node's default 300 s request timeout.
  const server = createServer({ keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS, requestTimeout: 0 }, (request, response) =>
    routeRequest(context, request, response),
  );
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(resolved.port, resolved.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('The simulator is not listening on TCP');
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${String(address.port)}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    baseUrl: `${url}/v1`,
    port: address.port,
    stats: () => context.stats.snapshot(),
    resetStats: () => context.stats.reset(),
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const timer of context.hangTimers) clearTimeout(timer);
        context.hangTimers.clear();
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

function routeRequest(context: SimulatorContext, request: IncomingMessage, response: ServerResponse): void {
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

  const rest = stripApiPrefix(path);
  if (rest === undefined) {
    sendError(context, response, sequence, 404, `Invalid URL (${method} ${path})`, 'unknown_url');
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

function stripApiPrefix(path: string): string | undefined {
  for (const prefix of API_PREFIXES) {
    if (path.startsWith(prefix)) return path.slice(prefix.length);
  }
  return undefined;
}

function decodeModelId(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return encoded;
  }
}
