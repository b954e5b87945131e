import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { toCanonicalJson } from '../canonical-json.ts';
import type { SimulatorContext } from '../simulator-context.ts';
import type { AnthropicBatchPayload } from './anthropic-batch-payload.ts';
import { ANTHROPIC_UNAUTHORIZED_BODY, createAnthropicErrorBody } from './anthropic-error-body.ts';
import type { BatchRoute } from './batch-route.ts';
import type { SimulatedBatch } from './batch-store.ts';
import { findAnthropicRequestProblem } from './build-anthropic-batch-results.ts';
import { describeAnthropicBatch } from './describe-anthropic-batch.ts';
import { drawLineOutcomes } from './draw-line-outcomes.ts';
import { estimateRequestTokens } from './estimate-request-tokens.ts';
import { paginate, readLimit } from './paginate.ts';
import { MAX_ANTHROPIC_BATCH_BYTES, parseAnthropicBatchBody } from './parse-anthropic-batch-body.ts';
import { readRequestBody } from './read-request-body.ts';
import { sendJson, streamContent } from './send-batch-answer.ts';

const MAX_LIST_LIMIT = 1000;
const DEFAULT_LIST_LIMIT = 20;
/** All models share one pool: Anthropic limits the requests a workspace has queued, not per model. */
const ANTHROPIC_TOKEN_POOL = 'anthropic';

/**
 * Anthropic's Message Batches under `/v1/messages/batches`: create, list (`limit`, `after_id`, `before_id`, newest
 * first), retrieve, cancel, results, delete. Auth is `x-api-key` when the simulator has an `apiKey`; any
 * `anthropic-version` is accepted. Anthropic validates a batch synchronously, so what OpenAI reports as a `failed`
 * batch is an error answer here: 400 for a bad body, 413 over 256 MB, 500 `api_error` for `batchFailRate` (a random
 * draw, so a retry may pass, which a 400 would wrongly forbid), 429 `rate_limit_error` with `retry-after` when the
 * enqueued-token limit is reached by the batches already open, and 400 when the batch alone is over it.
 */
export function handleAnthropicBatchRequest(
  context: SimulatorContext,
  request: IncomingMessage,
  response: ServerResponse,
  route: BatchRoute,
): void {
  const { segments, method, sequence } = route;
  const expectedKey = context.options.apiKey;
  if (expectedKey !== undefined && request.headers['x-api-key'] !== expectedKey) {
    context.stats.faults.unauthorized += 1;
    sendJson(context, response, sequence, 401, ANTHROPIC_UNAUTHORIZED_BODY);
    return;
  }
  // segments: ['messages', 'batches', id?, action?]
  const [first, second, id, action] = segments;
  if (first !== 'messages' || second !== 'batches' || segments.length > 4 || id === '') {
    sendAnthropicError(context, response, sequence, 404, 'not_found_error', `Invalid URL (${method} ${route.path})`);
    return;
  }
  if (id === undefined) {
    if (method === 'POST') void createBatch(context, request, response, sequence);
    else if (method === 'GET') listBatches(context, request, response, route);
    else sendMethodNotAllowed(context, response, route);
    return;
  }
  const store = context.batch.anthropicBatches;
  const batch = store.get('anthropic', id);
  if (batch === undefined) {
    sendAnthropicError(context, response, sequence, 404, 'not_found_error', `Message batch ${id} not found.`);
    return;
  }
  const expected = action === undefined ? ['GET', 'DELETE'] : action === 'cancel' ? ['POST'] : ['GET'];
  if (action !== undefined && action !== 'cancel' && action !== 'results') {
    sendAnthropicError(context, response, sequence, 404, 'not_found_error', `Invalid URL (${method} ${route.path})`);
  } else if (!expected.includes(method)) {
    sendMethodNotAllowed(context, response, route);
  } else if (action === 'results') {
    sendResults(context, response, sequence, batch);
  } else if (action === 'cancel') {
    if (store.cancel(batch) === 'ended' && batch.ending !== 'cancelled') {
      const message = `Message batch ${batch.id} has already ended and can no longer be canceled.`;
      sendAnthropicError(context, response, sequence, 400, 'invalid_request_error', message);
      return;
    }
    sendBatch(context, request, response, sequence, batch);
  } else if (method === 'DELETE') {
    if (batch.phase !== 'ended') {
      const message = `Message batch ${batch.id} is still processing; cancel it and wait for it to end first.`;
      sendAnthropicError(context, response, sequence, 400, 'invalid_request_error', message);
      return;
    }
    store.delete(batch);
    sendJson(context, response, sequence, 200, { id: batch.id, type: 'message_batch_deleted' });
  } else {
    sendBatch(context, request, response, sequence, batch);
  }
}

async function createBatch(
  context: SimulatorContext,
  request: IncomingMessage,
  response: ServerResponse,
  sequence: number,
): Promise<void> {
  const read = await readRequestBody(request, MAX_ANTHROPIC_BATCH_BYTES);
  if (!read.ok) {
    if (read.reason === 'too_large') {
      const message = `Request exceeds the maximum allowed number of bytes (${String(MAX_ANTHROPIC_BATCH_BYTES)}).`;
      sendAnthropicError(context, response, sequence, 413, 'request_too_large', message);
    }
    return;
  }
  let body: unknown;
  try {
    body = JSON.parse(read.body.toString('utf8'));
  } catch {
    sendAnthropicError(
      context,
      response,
      sequence,
      400,
      'invalid_request_error',
      'The request body is not valid JSON.',
    );
    return;
  }
  const parsed = parseAnthropicBatchBody(body);
  if (!parsed.ok) {
    sendAnthropicError(context, response, sequence, 400, 'invalid_request_error', parsed.message);
    return;
  }
  const { batch: batches } = context;
  const requests = parsed.requests;
  const number = ++batches.batchCount;
  const invalid = requests.map((entry) => findAnthropicRequestProblem(entry.params) !== undefined);
  const draw = drawLineOutcomes(batches.seed, number, invalid, batches.rates);
  if (draw.batchFails) {
    const message = 'Internal server error (simulated batch failure); the batch was not created.';
    sendAnthropicError(context, response, sequence, 500, 'api_error', message);
    return;
  }
  const tokens = requests.reduce((total, entry) => total + estimateRequestTokens(entry.params), 0);
  const decision = batches.enqueued.check(ANTHROPIC_TOKEN_POOL, tokens);
  if (!decision.ok) {
    batches.stats.tokenLimitRejections += 1;
    const limit = decision.limit.toLocaleString('en-US');
    if (decision.alone) {
      const message = `This batch holds about ${tokens.toLocaleString('en-US')} tokens, over the enqueued token limit of ${limit}. Please submit fewer requests per batch.`;
      sendAnthropicError(context, response, sequence, 400, 'invalid_request_error', message);
    } else {
      const message = `Number of enqueued batch tokens exceeds your limit of ${limit}. Please wait for some batches to end.`;
      const retryAfterS = Math.max(1, Math.ceil((earliestEndMs(context) - Date.now()) / 1000));
      sendAnthropicError(context, response, sequence, 429, 'rate_limit_error', message, {
        'retry-after': String(retryAfterS),
      });
    }
    return;
  }
  const customIds = requests.map((entry) => entry.custom_id);
  batches.stats.recordBatchCreated('anthropic', hashRequestSet(requests), customIds);
  const batch = batches.anthropicBatches.create({
    dialect: 'anthropic',
    number,
    customIds,
    outcomes: draw.outcomes,
    tokenPool: ANTHROPIC_TOKEN_POOL,
    tokens,
    failure: undefined,
    payload: { requests, results: undefined },
  });
  sendBatch(context, request, response, sequence, batch);
}

function listBatches(
  context: SimulatorContext,
  request: IncomingMessage,
  response: ServerResponse,
  route: BatchRoute,
): void {
  const limit = readLimit(route.query, DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT);
  if (Number.isNaN(limit)) {
    const message = `limit: Input should be a whole number from 1 to ${String(MAX_LIST_LIMIT)}`;
    sendAnthropicError(context, response, route.sequence, 400, 'invalid_request_error', message);
    return;
  }
  const store = context.batch.anthropicBatches;
  const page = paginate(store.listNewestFirst('anthropic'), {
    limit,
    afterId: route.query.get('after_id') ?? undefined,
    beforeId: route.query.get('before_id') ?? undefined,
  });
  const now = Date.now();
  const base = resultsUrlBase(context, request);
  sendJson(context, response, route.sequence, 200, {
    data: page.data.map((batch) => describeAnthropicBatch(batch, store, now, base)),
    has_more: page.hasMore,
    first_id: page.firstId,
    last_id: page.lastId,
  });
}

function sendResults(
  context: SimulatorContext,
  response: ServerResponse,
  sequence: number,
  batch: SimulatedBatch<AnthropicBatchPayload>,
): void {
  const results = batch.payload.results;
  if (results === undefined) {
    const message = `Message batch ${batch.id} has not ended yet; results are available once processing_status is 'ended'.`;
    sendAnthropicError(context, response, sequence, 400, 'invalid_request_error', message);
    return;
  }
  streamContent(context, response, sequence, results, 'application/jsonl');
}

function sendBatch(
  context: SimulatorContext,
  request: IncomingMessage,
  response: ServerResponse,
  sequence: number,
  batch: SimulatedBatch<AnthropicBatchPayload>,
): void {
  const described = describeAnthropicBatch(
    batch,
    context.batch.anthropicBatches,
    Date.now(),
    resultsUrlBase(context, request),
  );
  sendJson(context, response, sequence, 200, described);
}

function sendAnthropicError(
  context: SimulatorContext,
  response: ServerResponse,
  sequence: number,
  status: number,
  type: string,
  message: string,
  headers?: Record<string, string>,
): void {
  sendJson(context, response, sequence, status, createAnthropicErrorBody(type, message), headers);
}

function sendMethodNotAllowed(context: SimulatorContext, response: ServerResponse, route: BatchRoute): void {
  const message = `Method ${route.method} not allowed on ${route.path}`;
  sendAnthropicError(context, response, route.sequence, 405, 'invalid_request_error', message);
}

/** The scheme and host the client used, so `results_url` works from where it is read. */
function resultsUrlBase(context: SimulatorContext, request: IncomingMessage): string {
  const host = request.headers.host;
  return host === undefined || host === '' ? context.batch.publicUrl : `http://${host}`;
}

/** When the first open Anthropic batch ends and frees its tokens. */
function earliestEndMs(context: SimulatorContext): number {
  let earliest = Number.POSITIVE_INFINITY;
  for (const batch of context.batch.anthropicBatches.listNewestFirst('anthropic')) {
    if (batch.phase === 'ended' || batch.phase === 'cancelling') continue;
    earliest = Math.min(earliest, batch.createdAtMs + context.batch.lifetimeMs);
  }
  return Number.isFinite(earliest) ? earliest : Date.now();
}

/** The same requests in any order hash the same: a duplicate batch is the same work submitted twice. */
function hashRequestSet(requests: readonly { custom_id: string; params: unknown }[]): string {
  const sorted = [...requests].sort((left, right) => (left.custom_id < right.custom_id ? -1 : 1));
  return createHash('sha256').update(toCanonicalJson(sorted)).digest('hex');
}
