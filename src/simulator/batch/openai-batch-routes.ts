import type { IncomingMessage, ServerResponse } from 'node:http';
import { isRecord } from '../deterministic-answer.ts';
import { GENERATION_ENDPOINTS, type GenerationEndpoint } from '../generation-endpoint.ts';
import type { SimulatorContext } from '../simulator-context.ts';
import { type OpenAIBatchDialect, endpointVersionPrefix } from './batch-dialect.ts';
import type { BatchFailure } from './batch-failure.ts';
import type { BatchRoute } from './batch-route.ts';
import type { SimulatedBatch } from './batch-store.ts';
import { describeOpenAIBatch, describeOpenAIBatchStatus } from './describe-openai-batch.ts';
import { drawLineOutcomes } from './draw-line-outcomes.ts';
import type { StoredFile } from './file-store.ts';
import type { OpenAIBatchPayload } from './openai-batch-payload.ts';
import { paginate, readLimit } from './paginate.ts';
import { parseOpenAIBatchFile } from './parse-openai-batch-file.ts';
import { readRequestBody } from './read-request-body.ts';
import { sendJson, sendMethodNotAllowed, sendOpenAIError } from './send-batch-answer.ts';

const MAX_CREATE_BODY_BYTES = 1024 * 1024;
const MAX_LIST_LIMIT = 100;
const DEFAULT_LIST_LIMIT = 20;
const ORGANIZATION = 'org-simulator';

/**
 * `POST batches`, `GET batches[?limit&after]` newest first, `GET batches/{id}`, `POST batches/{id}/cancel`, for
 * OpenAI (`/v1/`) and Zhipu (`/api/paas/v4/`, `/v4/`). Auth was checked by the caller.
 */
export function handleOpenAIBatchRequest(
  context: SimulatorContext,
  request: IncomingMessage,
  response: ServerResponse,
  dialect: OpenAIBatchDialect,
  route: BatchRoute,
): void {
  const { segments, method, sequence } = route;
  const [, id, action] = segments;
  if (segments.length === 1) {
    if (method === 'POST') void createBatch(context, request, response, dialect, sequence);
    else if (method === 'GET') listBatches(context, response, dialect, route);
    else sendMethodNotAllowed(context, response, route);
    return;
  }
  if (id === undefined || segments.length > 3 || (action !== undefined && action !== 'cancel')) {
    sendOpenAIError(context, response, sequence, 404, `Invalid URL (${method} ${route.path})`, 'unknown_url');
    return;
  }
  const store = context.batch.openaiBatches;
  const batch = store.get(dialect, id);
  if (batch === undefined) {
    sendOpenAIError(context, response, sequence, 404, `No batch found with id '${id}'.`, 'batch_not_found', 'id');
    return;
  }
  if (action === undefined) {
    if (method === 'GET') sendJson(context, response, sequence, 200, describeOpenAIBatch(batch, store, Date.now()));
    else sendMethodNotAllowed(context, response, route);
    return;
  }
  if (method !== 'POST') {
    sendMethodNotAllowed(context, response, route);
    return;
  }
  // Cancelling a batch that is already cancelling or cancelled answers it unchanged, as a retried cancel should.
  if (store.cancel(batch) === 'ended' && batch.ending !== 'cancelled') {
    const message = `Cannot cancel a batch with status '${describeOpenAIBatchStatus(batch)}'.`;
    sendOpenAIError(context, response, sequence, 400, message, 'batch_not_cancellable');
    return;
  }
  sendJson(context, response, sequence, 200, describeOpenAIBatch(batch, store, Date.now()));
}

async function createBatch(
  context: SimulatorContext,
  request: IncomingMessage,
  response: ServerResponse,
  dialect: OpenAIBatchDialect,
  sequence: number,
): Promise<void> {
  const read = await readRequestBody(request, MAX_CREATE_BODY_BYTES);
  if (!read.ok) {
    if (read.reason === 'too_large') {
      sendOpenAIError(context, response, sequence, 413, 'The request body is too large.', 'request_too_large');
    }
    return;
  }
  let body: unknown;
  try {
    body = JSON.parse(read.body.toString('utf8'));
  } catch {
    const message = 'We could not parse the JSON body of your request. The body must be valid JSON.';
    sendOpenAIError(context, response, sequence, 400, message, 'invalid_json');
    return;
  }
  const checked = checkCreateBody(context, dialect, body);
  if ('status' in checked) {
    sendOpenAIError(context, response, sequence, checked.status, checked.message, checked.code, checked.param);
    return;
  }
  const echoAuthorization = context.options.echoAuthRate > 0 ? request.headers.authorization : undefined;
  const batch = startBatch(context, dialect, { ...checked, echoAuthorization });
  sendJson(context, response, sequence, 200, describeOpenAIBatch(batch, context.batch.openaiBatches, Date.now()));
}

interface CreateRequest {
  file: StoredFile;
  endpoint: string;
  generationEndpoint: GenerationEndpoint;
  completionWindow: string;
  metadata: unknown;
  echoAuthorization?: string | undefined;
}

interface CreateProblem {
  status: number;
  message: string;
  code: string;
  param: string | null;
}

function checkCreateBody(
  context: SimulatorContext,
  dialect: OpenAIBatchDialect,
  body: unknown,
): CreateRequest | CreateProblem {
  if (!isRecord(body)) return problem(400, 'The request body must be a JSON object.', 'invalid_request_body', null);
  const inputFileId = body['input_file_id'];
  const endpoint = body['endpoint'];
  const completionWindow = body['completion_window'];
  const metadata = body['metadata'] ?? null;
  for (const [name, value] of [
    ['input_file_id', inputFileId],
    ['endpoint', endpoint],
    ['completion_window', completionWindow],
  ] as const) {
    if (typeof value !== 'string') {
      return problem(400, `Missing required parameter: '${name}'.`, 'missing_required_parameter', name);
    }
  }
  const versionPrefix = endpointVersionPrefix(dialect);
  const generationEndpoint = GENERATION_ENDPOINTS.find((known) => `${versionPrefix}${known}` === endpoint);
  if (generationEndpoint === undefined) {
    const allowed = GENERATION_ENDPOINTS.map((known) => `${versionPrefix}${known}`).join(', ');
    return problem(400, `Invalid value for 'endpoint': expected one of ${allowed}.`, 'invalid_value', 'endpoint');
  }
  if (completionWindow !== '24h') {
    return problem(
      400,
      "Invalid value for 'completion_window': only '24h' is supported.",
      'invalid_value',
      'completion_window',
    );
  }
  if (metadata !== null && !isRecord(metadata)) {
    return problem(400, "Invalid type for 'metadata': expected an object.", 'invalid_type', 'metadata');
  }
  const file = context.batch.files.get(dialect, inputFileId as string);
  if (file === undefined) {
    return problem(404, `No such File object: ${String(inputFileId)}`, 'file_not_found', 'input_file_id');
  }
  if (file.purpose !== 'batch') {
    return problem(400, `The file ${file.id} does not have purpose 'batch'.`, 'invalid_value', 'input_file_id');
  }
  return { file, endpoint: endpoint as string, generationEndpoint, completionWindow, metadata };
}

/**
 * Reads the file now, so that lines, custom_ids and tokens are known at create, and decides the batch's fate: a bad
 * file, an injected `validation_error` or `token_limit_exceeded` all show as `failed` once validating is over.
 */
function startBatch(
  context: SimulatorContext,
  dialect: OpenAIBatchDialect,
  create: CreateRequest,
): SimulatedBatch<OpenAIBatchPayload> {
  const { batch: batches } = context;
  const parsed = parseOpenAIBatchFile(create.file.content, create.endpoint, create.generationEndpoint);
  const number = ++batches.batchCount;
  const payload: OpenAIBatchPayload = {
    inputFileId: create.file.id,
    endpoint: create.endpoint,
    generationEndpoint: create.generationEndpoint,
    completionWindow: create.completionWindow,
    metadata: create.metadata,
    echoAuthorization: create.echoAuthorization,
    content: create.file.content,
    lineStarts: parsed.ok ? parsed.lineStarts : [],
    lineEnds: parsed.ok ? parsed.lineEnds : [],
    outputFileId: null,
    errorFileId: null,
  };
  if (!parsed.ok) {
    batches.stats.recordBatchCreated(dialect, create.file.id, []);
    batches.stats.recordUnreadLines(parsed.lineCount);
    return batches.openaiBatches.create({
      dialect,
      number,
      customIds: [],
      outcomes: new Uint8Array(0),
      tokenPool: `${dialect}:`,
      tokens: 0,
      failure: parsed.errors,
      payload,
    });
  }
  const draw = drawLineOutcomes(batches.seed, number, parsed.invalid, batches.rates);
  const tokenPool = `${dialect}:${parsed.model}`;
  let failure: BatchFailure[] | undefined;
  if (draw.batchFails) {
    failure = [
      { code: 'validation_error', message: 'The batch failed validation (simulated).', line: null, param: null },
    ];
  } else {
    const decision = batches.enqueued.check(tokenPool, parsed.tokens);
    if (!decision.ok) {
      batches.stats.tokenLimitRejections += 1;
      const advice = decision.alone
        ? 'Please try submitting fewer tasks.'
        : 'Please try again once some in_progress batches have been completed.';
      const message =
        `Enqueued token limit reached for ${parsed.model} in organization ${ORGANIZATION}. ` +
        `Limit: ${decision.limit.toLocaleString('en-US')} enqueued tokens. ${advice}`;
      failure = [{ code: 'token_limit_exceeded', message, line: null, param: null }];
    }
  }
  batches.stats.recordBatchCreated(dialect, create.file.id, parsed.customIds);
  return batches.openaiBatches.create({
    dialect,
    number,
    customIds: parsed.customIds,
    outcomes: draw.outcomes,
    tokenPool,
    tokens: parsed.tokens,
    failure,
    payload,
  });
}

function listBatches(
  context: SimulatorContext,
  response: ServerResponse,
  dialect: OpenAIBatchDialect,
  route: BatchRoute,
): void {
  const limit = readLimit(route.query, DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT);
  if (Number.isNaN(limit)) {
    const message = `Invalid 'limit': expected a whole number from 1 to ${String(MAX_LIST_LIMIT)}.`;
    sendOpenAIError(context, response, route.sequence, 400, message, 'invalid_value', 'limit');
    return;
  }
  const store = context.batch.openaiBatches;
  const now = Date.now();
  const page = paginate(store.listNewestFirst(dialect), { limit, afterId: route.query.get('after') ?? undefined });
  sendJson(context, response, route.sequence, 200, {
    object: 'list',
    data: page.data.map((batch) => describeOpenAIBatch(batch, store, now)),
    first_id: page.firstId,
    last_id: page.lastId,
    has_more: page.hasMore,
  });
}

function problem(status: number, message: string, code: string, param: string | null): CreateProblem {
  return { status, message, code, param };
}
