import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { type StructuredOutcome, buildGenerationAnswer } from './build-generation-answer.ts';
import { type PlannedAnswer, scheduleAnswer } from './deliver-answer.ts';
import type { GenerationEndpoint } from './generation-endpoint.ts';
import {
  BODY_TOO_LARGE_BODY,
  CONCURRENCY_LIMIT_BODY,
  INJECTED_RATE_LIMIT_BODY,
  INVALID_JSON_BODY,
  RPM_LIMIT_BODY,
  SERVER_ERROR_BODY,
  UNAUTHORIZED_BODY,
  createErrorBody,
} from './openai-error-body.ts';
import { formatResetDuration } from './rpm-limiter.ts';
import { OVERLOADED_503_BODY, OVERLOADED_529_BODY } from './overloaded-bodies.ts';
import type { SimulatorContext } from './simulator-context.ts';
import { padJsonObject, stallAnswer, streamEndlessAnswer } from './oversized-answers.ts';
import { holdUntilHangEnds } from './hold-until-hang-ends.ts';

/**
 * The life of one generation request:
 *   auth (401) -> maxConcurrency gate (429) -> rpm bucket (429) -> admitted: counted in flight until its socket
 *   answer closes -> body read -> one fault draw -> fault, or 400 for a bad body, or the deterministic 200.
 * An embeddings request draws `embeddingErrorRate` first, from its own PRNG; a 500 from it takes no fault draw.
 * The gates come before the fault draw so that rejected requests neither take a token nor move the fault sequence.
 */

const CONCURRENCY_RETRY_AFTER_MS = 50;
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export function handleGenerationRequest(
  context: SimulatorContext,
  request: IncomingMessage,
  response: ServerResponse,
  endpoint: GenerationEndpoint,
  path: string,
  sequence: number,
): void {
  const { stats, options, limiter } = context;
  stats.generationRequests += 1;
  stats.recordArrival();
  if (!isAuthorized(context, request)) {
    stats.faults.unauthorized += 1;
    scheduleAnswer(context, response, sequence, { kind: 'answer', status: 401, body: UNAUTHORIZED_BODY });
    return;
  }
  if (options.maxConcurrency > 0 && stats.inFlight >= options.maxConcurrency) {
    stats.faults.concurrencyLimited += 1;
    const headers = retryHeaders(CONCURRENCY_RETRY_AFTER_MS);
    scheduleAnswer(context, response, sequence, { kind: 'answer', status: 429, body: CONCURRENCY_LIMIT_BODY, headers });
    return;
  }
  let rateHeaders: OutgoingHttpHeaders | undefined;
  if (limiter !== undefined) {
    const decision = limiter.tryTake();
    if (options.rateLimitHeaders) {
      rateHeaders = {
        'x-ratelimit-limit-requests': String(decision.limit),
        'x-ratelimit-remaining-requests': String(decision.remaining),
        'x-ratelimit-reset-requests': formatResetDuration(decision.resetMs),
      };
    }
    if (!decision.ok) {
      stats.faults.rateLimited += 1;
      const headers = { ...rateHeaders, ...retryHeaders(decision.retryAfterMs) };
      scheduleAnswer(context, response, sequence, { kind: 'answer', status: 429, body: RPM_LIMIT_BODY, headers });
      return;
    }
  }
  stats.enterFlight();
  response.once('close', stats.leaveFlight);
  readBody(context, request, response, endpoint, path, sequence, rateHeaders);
}

export function isAuthorized(context: SimulatorContext, request: IncomingMessage): boolean {
  return context.expectedAuthorization === undefined || request.headers.authorization === context.expectedAuthorization;
}

/** Both spellings OpenAI clients read: `retry-after-ms` first, then `retry-after` in whole seconds (at least 1). */
export function retryHeaders(retryAfterMs: number): OutgoingHttpHeaders {
  return {
    'retry-after-ms': String(Math.ceil(retryAfterMs)),
    'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
  };
}

function readBody(
  context: SimulatorContext,
  request: IncomingMessage,
  response: ServerResponse,
  endpoint: GenerationEndpoint,
  path: string,
  sequence: number,
  rateHeaders: OutgoingHttpHeaders | undefined,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  request.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  });
  request.on('end', () => {
    if (size > MAX_BODY_BYTES) {
      const planned: PlannedAnswer = { kind: 'answer', status: 413, body: BODY_TOO_LARGE_BODY, headers: rateHeaders };
      scheduleAnswer(context, response, sequence, planned);
      return;
    }
    const rawBody = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8');
    answerBody(context, response, endpoint, path, sequence, rawBody, rateHeaders);
  });
}

function answerBody(
  context: SimulatorContext,
  response: ServerResponse,
  endpoint: GenerationEndpoint,
  path: string,
  sequence: number,
  rawBody: string,
  headers: OutgoingHttpHeaders | undefined,
): void {
  if (endpoint === 'embeddings' && context.embeddingFault()) {
    context.stats.faults.http500 += 1;
    scheduleAnswer(context, response, sequence, { kind: 'answer', status: 500, body: SERVER_ERROR_BODY, headers });
    return;
  }
  const fault = context.pickFault();
  if (fault !== undefined) context.stats.faults[fault] += 1;
  switch (fault) {
    case 'http500': {
      const body = padJsonObject(SERVER_ERROR_BODY, context.options.errorBodyBytes);
      scheduleAnswer(context, response, sequence, { kind: 'answer', status: 500, body, headers });
      return;
    }
    case 'endless':
      streamEndlessAnswer(response, sequence);
      return;
    case 'stall':
      stallAnswer(context, response, buildAnswerBody(context, endpoint, rawBody, sequence).body, sequence);
      return;
    case 'http429': {
      const retry = { ...headers, ...retryHeaders(context.options.retryAfterMs) };
      scheduleAnswer(context, response, sequence, {
        kind: 'answer',
        status: 429,
        body: INJECTED_RATE_LIMIT_BODY,
        headers: retry,
      });
      return;
    }
    case 'http503':
      scheduleAnswer(context, response, sequence, { kind: 'answer', status: 503, body: OVERLOADED_503_BODY, headers });
      return;
    case 'http529':
      scheduleAnswer(context, response, sequence, { kind: 'answer', status: 529, body: OVERLOADED_529_BODY, headers });
      return;
    case 'resetBeforeResponse':
      scheduleAnswer(context, response, sequence, { kind: 'resetBeforeResponse' });
      return;
    case 'hang':
      holdUntilHangEnds(context, response);
      return;
    case 'resetMidBody':
      scheduleAnswer(context, response, sequence, {
        kind: 'resetMidBody',
        body: buildAnswerBody(context, endpoint, rawBody, sequence).body,
        headers,
      });
      return;
    case 'malformed': {
      const full = buildAnswerBody(context, endpoint, rawBody, sequence).body;
      // A strict prefix of a JSON object never parses: the top-level `}` is its last character.
      const body = full.slice(0, Math.max(1, Math.floor(full.length / 2)));
      scheduleAnswer(context, response, sequence, { kind: 'answer', status: 200, body, headers });
      return;
    }
    case undefined: {
      const built = buildAnswerBody(context, endpoint, rawBody, sequence);
      // Counted when built, not when written: a client gone before the latency ends still drew this answer.
      context.stats.recordStructured(built.structured);
      const planned: PlannedAnswer = built.ok
        ? { kind: 'success', body: padJsonObject(built.body, context.options.responseBytes), headers, path, rawBody }
        : { kind: 'answer', status: 400, body: built.body, headers };
      scheduleAnswer(context, response, sequence, planned);
      return;
    }
  }
}

function buildAnswerBody(
  context: SimulatorContext,
  endpoint: GenerationEndpoint,
  rawBody: string,
  sequence: number,
): { ok: boolean; body: string; structured?: StructuredOutcome[] | undefined } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody);
  } catch {
    return { ok: false, body: INVALID_JSON_BODY };
  }
  const answer = buildGenerationAnswer(
    endpoint,
    parsed,
    sequence,
    context.structuredAnswers,
    context.options.embeddingDimensions,
  );
  if (!answer.ok) {
    return { ok: false, body: createErrorBody(answer.message, 'invalid_request_error', answer.code, answer.param) };
  }
  return { ok: true, body: JSON.stringify(answer.payload), structured: answer.structured };
}
