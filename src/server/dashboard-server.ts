import { open } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { basename, extname } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BatchpilotError } from '../errors/index.ts';
import {
  DashboardReads,
  readItemPage,
  readItemView,
  rememberJobKey,
  resultFilePath,
  toItemFilter,
  toJobStateFilter,
  type DashboardStore,
} from '../compose/dashboard/dashboard-reads.ts';
import { systemClock, type Clock } from '../util/clock.ts';
import { knownSecrets, redactObject, redactSecrets } from '../util/redact.ts';
import { isLoopbackHostHeader, requestToken, tokenMatches } from './dashboard-access.ts';
import { DASHBOARD_ACTIONS, isDashboardAction, runDashboardAction } from './dashboard-actions.ts';
import { loadUiAssets } from './ui-assets.ts';

export interface DashboardServerOptions {
  store: DashboardStore;
  /** The workspace folder the store belongs to (a data job's prompts are read from it). */
  workspace: string;
  /** @default '127.0.0.1' */
  host?: string | undefined;
  /** 0: any free port. @default 0 */
  port?: number | undefined;
  /** Required on every API request when set (see `dashboardToken`); null: none (loopback only). */
  token: string | null;
  /** How often a live page's figures are read again and pushed when they changed. @default 1000 */
  pushMs?: number | undefined;
  clock?: Clock | undefined;
  /**
   * Where the jobs' API keys are read from: to mask them should an answer echo one, and for the actions' commands.
   * @default process.env
   */
  env?: NodeJS.ProcessEnv | undefined;
  /** The shared store's URL, for the actions' commands; unset: the workspace's own store. */
  storeUrl?: string | undefined;
  /** Told of an error the dashboard answered with a 500 (a bug, or the store gone): the CLI prints it. */
  onError?: ((error: unknown) => void) | undefined;
}

export interface DashboardHandle {
  /** The address to open, with the token in its fragment when there is one (never sent to the server by a browser). */
  url: string;
  /** Where it listens, without the token. */
  origin: string;
  /** Ends the live streams and stops listening. */
  close(): Promise<void>;
}

const PAGE_LIMIT_MAX = 200;
/** A comment line on idle streams, so proxies and browsers keep them open. */
const KEEPALIVE_MS = 15_000;

/** An API error as JSON: `{ error: { code, message } }` with the status given. */
class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function intParam(value: unknown, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
    throw new ApiError(400, 'BAD_REQUEST', `${name} must be a whole number from ${String(min)} to ${String(max)}`);
  }
  return parsed;
}

type Query = Record<string, string | undefined>;

const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.jsonl': 'application/x-ndjson',
  '.csv': 'text/csv; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

function contentTypeOf(path: string): string {
  return CONTENT_TYPES[extname(path)] ?? 'application/octet-stream';
}

/** What an error becomes in an answer: ours as they are, the HTTP layer's 4xx as it says, anything else a 500. */
function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof RangeError) return new ApiError(400, 'BAD_REQUEST', error.message);
  if (error instanceof BatchpilotError) {
    return new ApiError(error.code === 'JOB_NOT_FOUND' ? 404 : 503, error.code, error.message);
  }
  const { statusCode, code, message } = error as { statusCode?: unknown; code?: unknown; message?: unknown };
  if (statusCode === 415) {
    return new ApiError(
      415,
      'BAD_REQUEST',
      'an action is posted as JSON: send the body {} with content-type application/json',
    );
  }
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return new ApiError(statusCode, typeof code === 'string' ? code : 'BAD_REQUEST', String(message));
  }
  return new ApiError(500, 'INTERNAL', 'the dashboard failed to answer; see the output of `batchpilot ui`');
}

/** Why `request` is refused (401 without the token, 403 for a foreign Host on a tokenless loopback), or undefined. */
function refusal(request: FastifyRequest, token: string | null): ApiError | undefined {
  if (token === null) {
    // No token: loopback only, and only pages this machine's own names asked for (see isLoopbackHostHeader).
    return isLoopbackHostHeader(request.headers.host)
      ? undefined
      : new ApiError(403, 'FORBIDDEN', 'this dashboard answers requests to its loopback address only');
  }
  if (!request.url.startsWith('/api/')) return undefined;
  const given = requestToken(request.headers.authorization, (request.query as Query)['token']);
  return given !== undefined && tokenMatches(given, token)
    ? undefined
    : new ApiError(401, 'UNAUTHORIZED', 'this dashboard needs its token: open the URL `batchpilot ui` printed');
}

/**
 * `batchpilot ui` (docs/decisions/0038): the dashboard's HTTP server. It serves the page and its modules, a JSON API
 * over the store (jobs, a job, its items, one item) and live streams of the jobs list and of one job (server-sent
 * events, pushed when the figures changed, at most once per `pushMs`). It reads; it writes nothing.
 */
export async function startDashboard(options: DashboardServerOptions): Promise<DashboardHandle> {
  const { default: createFastify } = await import('fastify');
  const { store, workspace, token } = options;
  const clock = options.clock ?? systemClock;
  const pushMs = options.pushMs ?? 1000;
  const assets = await loadUiAssets();
  const streams = new Set<ServerResponse>();
  const app: FastifyInstance = createFastify({ logger: false, forceCloseConnections: true });

  const startedAt = new WeakMap<FastifyRequest, number>();
  app.addHook('onRequest', (request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void) => {
    startedAt.set(request, performance.now());
    done(refusal(request, token));
  });

  // Whatever a stored answer or error holds, a key this process knows of never leaves in a response (the error and
  // not-found handlers' answers included). Redacted value by value before serialization: masking the JSON text could
  // cut an escape (`\"`) in half.
  app.addHook('preSerialization', (_request, _reply, payload, done: (error: null, payload: unknown) => void) => {
    done(null, redactObject(payload, knownSecrets()));
  });
  app.addHook('onSend', (request, reply, payload, done: (error: null, payload: unknown) => void) => {
    // How long the answer took here, for the browser's devtools and bench/dashboard.mjs.
    const took = performance.now() - (startedAt.get(request) ?? performance.now());
    void reply.header('server-timing', `app;dur=${took.toFixed(1)}`);
    done(null, payload);
  });

  app.setNotFoundHandler((request, reply) => {
    void reply
      .status(404)
      .send({ error: { code: 'NOT_FOUND', message: `no such page or API: ${request.url.split('?')[0] ?? ''}` } });
  });

  app.setErrorHandler((error: unknown, _request, reply: FastifyReply) => {
    const failure = toApiError(error);
    if (failure.status >= 500) options.onError?.(error);
    void reply.status(failure.status).send({ error: { code: failure.code, message: failure.message } });
  });

  const page = (_request: FastifyRequest, reply: FastifyReply): FastifyReply => sendAsset(reply, '/index.html');
  const sendAsset = (reply: FastifyReply, path: string): FastifyReply => {
    const asset = assets.get(path);
    if (asset === undefined) throw new ApiError(404, 'NOT_FOUND', `no file ${path}`);
    return reply.header('content-type', asset.type).header('cache-control', 'no-cache').send(asset.body);
  };
  for (const path of ['/', '/jobs/:job', '/jobs/:job/items', '/jobs/:job/items/:seq']) app.get(path, page);
  for (const path of assets.keys()) app.get(path, (_request, reply) => sendAsset(reply, path));

  const reads = new DashboardReads(store, workspace);
  /** The jobs page a query asks for; a wrong member is a 400 naming it. */
  const jobsQuery = (query: Query) => ({
    state: toJobStateFilter(query['state']),
    offset: intParam(query['offset'], 'offset', 0, 0, Number.MAX_SAFE_INTEGER),
    limit: intParam(query['limit'], 'limit', 50, 1, PAGE_LIMIT_MAX),
  });
  const env = options.env ?? process.env;
  /**
   * The job a route names, or 404 (one read of its row, not its figures). Its key is remembered here, so every answer
   * about the job (its page, items, one item, a stream) is masked with it.
   */
  const requireJob = async (jobId: string) => {
    const job = await store.getJob(jobId);
    if (job === undefined) throw new ApiError(404, 'JOB_NOT_FOUND', `no job "${jobId}" in this store`);
    rememberJobKey(job, env);
    return job;
  };
  const jobView = async (jobId: string) => reads.job(await requireJob(jobId), clock.now());

  app.get('/api/jobs', async (request) => reads.jobs(jobsQuery(request.query as Query), clock.now()));
  app.get('/api/jobs/:job', async (request) => jobView((request.params as { job: string }).job));
  app.get('/api/jobs/:job/items', async (request) => {
    const { job } = request.params as { job: string };
    const query = request.query as Query;
    await requireJob(job);
    return readItemPage(
      store,
      job,
      toItemFilter(query),
      intParam(query['after'], 'after', -1, -1, Number.MAX_SAFE_INTEGER),
      intParam(query['limit'], 'limit', 50, 1, PAGE_LIMIT_MAX),
    );
  });
  app.get('/api/jobs/:job/items/:seq', async (request) => {
    const { job: jobId, seq } = request.params as { job: string; seq: string };
    const job = await requireJob(jobId);
    const view = await readItemView(store, job, intParam(seq, 'seq', 0, 0, Number.MAX_SAFE_INTEGER));
    if (view === undefined) throw new ApiError(404, 'ITEM_NOT_FOUND', `job "${jobId}" has no item ${seq}`);
    return view;
  });

  // A result file, streamed as it is on disk (written without secrets, decision 0007).
  app.get('/api/jobs/:job/files/:name', async (request, reply) => {
    const { job: jobId, name } = request.params as { job: string; name: string };
    const path = resultFilePath(await requireJob(jobId), name);
    if (path === undefined)
      throw new ApiError(404, 'NOT_FOUND', `job "${jobId}" offers no file "${name}" for download`);
    const file = await open(path).catch(() => undefined);
    if (file === undefined) throw new ApiError(404, 'NOT_FOUND', `job "${jobId}" has no ${name} file yet`);
    return reply
      .header('content-type', contentTypeOf(path))
      .header('content-disposition', `attachment; filename="${basename(path)}"`)
      .send(file.createReadStream());
  });

  // An action runs the CLI command a user would type (dashboard-actions.ts). Only the page itself may ask: a JSON body
  // (which another site's form cannot send without the browser asking first) from this origin, if it names one.
  app.post('/api/jobs/:job/actions/:action', async (request) => {
    const { job, action } = request.params as { job: string; action: string };
    if (!isDashboardAction(action)) {
      throw new ApiError(
        404,
        'NOT_FOUND',
        `no action "${action}"; the actions are ${Object.keys(DASHBOARD_ACTIONS).join(', ')}`,
      );
    }
    const origin = request.headers.origin;
    if (
      !String(request.headers['content-type'] ?? '').startsWith('application/json') ||
      (origin !== undefined && origin !== `http://${request.headers.host ?? ''}`)
    ) {
      throw new ApiError(403, 'FORBIDDEN', 'actions are taken from the dashboard page only');
    }
    await requireJob(job);
    return runDashboardAction(action, job, { workspace, storeUrl: options.storeUrl, env });
  });

  // Live figures: the jobs list (`?view=jobs` with its filter and page) or one job (`?view=job&job=ID`).
  app.get('/api/stream', async (request, reply) => {
    const query = request.query as Query;
    const view = query['view'] ?? 'jobs';
    if (view !== 'jobs' && view !== 'job') throw new ApiError(400, 'BAD_REQUEST', 'view must be jobs or job');
    // Checked before the stream opens: a wrong job or filter is an answer, not an endless stream of failures.
    let read: () => Promise<unknown>;
    if (view === 'job') {
      const { id } = await requireJob(query['job'] ?? '');
      read = () => jobView(id);
    } else {
      const page = jobsQuery(query);
      read = () => reads.jobs(page, clock.now());
    }
    reply.hijack();
    const response = reply.raw;
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    streams.add(response);
    let last = '';
    let lastWrite = clock.now();
    let timer: NodeJS.Timeout | undefined;
    const stop = (): void => {
      streams.delete(response);
      clearTimeout(timer);
    };
    const tick = async (): Promise<void> => {
      try {
        const data = JSON.stringify(redactObject(await read(), knownSecrets()));
        if (data !== last) {
          last = data;
          lastWrite = clock.now();
          response.write(`data: ${data}\n\n`);
        } else if (clock.now() - lastWrite >= KEEPALIVE_MS) {
          lastWrite = clock.now();
          response.write(': still here\n\n');
        }
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        response.write(
          `event: failure\ndata: ${JSON.stringify({ message: redactSecrets(message, knownSecrets()) })}\n\n`,
        );
      }
      if (streams.has(response)) timer = setTimeout(() => void tick(), pushMs);
    };
    request.raw.on('close', stop);
    void tick();
  });

  const host = options.host ?? '127.0.0.1';
  try {
    await app.listen({ host, port: options.port ?? 0 });
  } catch (error) {
    await app.close();
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new BatchpilotError(
      'UI_UNAVAILABLE',
      `cannot listen on ${host}:${String(options.port ?? 0)} (${reason}): choose another --port, or a --host of this machine`,
      { context: { flag: reason === 'EADDRINUSE' ? '--port' : '--host' }, cause: error },
    );
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? 0);
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${String(port)}`;
  return {
    origin,
    url: token === null ? `${origin}/` : `${origin}/#token=${token}`,
    close: async () => {
      for (const response of streams) response.end();
      streams.clear();
      await app.close();
    },
  };
}
