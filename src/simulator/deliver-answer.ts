import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { connectionOf } from './connection-of.ts';
import { drawsEcho, echoAuthorization } from './echo-authorization.ts';
import type { SimulatorContext } from './simulator-context.ts';

/**
 * What a request will get once its latency has passed. Faults are decided before the latency, so a reset or a 500
 * arrives as late as a normal answer would. Bodies are strings, not Buffers: node then sends the head and the body in
 * one write instead of a writev, the largest single cost per request under load.
 */
export type PlannedAnswer =
  | { kind: 'answer'; status: number; body: string; headers?: OutgoingHttpHeaders | undefined }
  | { kind: 'success'; body: string; headers?: OutgoingHttpHeaders | undefined; path: string; rawBody: string }
  | { kind: 'resetBeforeResponse' }
  | { kind: 'resetMidBody'; body: string; headers?: OutgoingHttpHeaders | undefined };

export function scheduleAnswer(
  context: SimulatorContext,
  response: ServerResponse,
  sequence: number,
  answer: PlannedAnswer,
): void {
  const planned = withEcho(context, response, sequence, answer);
  const delayMs = computeDelayMs(context);
  if (delayMs <= 0) {
    deliverAnswer(context, response, sequence, planned);
    return;
  }
  // Unref: after close() the sockets are gone and a pending answer has nowhere to go, so it must not keep node alive.
  setTimeout(deliverAnswer, delayMs, context, response, sequence, planned).unref();
}

export function deliverAnswer(
  context: SimulatorContext,
  response: ServerResponse,
  sequence: number,
  planned: PlannedAnswer,
): void {
  const socket = connectionOf(response);
  if (socket.destroyed) return;
  switch (planned.kind) {
    case 'resetBeforeResponse':
      socket.resetAndDestroy();
      return;
    case 'resetMidBody': {
      response.writeHead(200, buildHeaders(Buffer.byteLength(planned.body), sequence, planned.headers));
      // Destroy only once the half body has left, so the client reliably sees headers and then a short body.
      response.write(planned.body.slice(0, Math.floor(planned.body.length / 2)), () => socket.destroy());
      return;
    }
    case 'answer':
      response.writeHead(planned.status, buildHeaders(Buffer.byteLength(planned.body), sequence, planned.headers));
      response.end(planned.body);
      context.stats.recordStatus(planned.status);
      if (planned.status === 429) recordRetryAfter(context, planned.headers);
      return;
    case 'success':
      response.writeHead(200, buildHeaders(Buffer.byteLength(planned.body), sequence, planned.headers));
      response.end(planned.body);
      context.stats.recordStatus(200);
      context.stats.recordSuccess(planned.path, planned.rawBody);
      return;
  }
}

function recordRetryAfter(context: SimulatorContext, headers: OutgoingHttpHeaders | undefined): void {
  const retryAfterMs = Number(headers?.['retry-after-ms']);
  if (Number.isFinite(retryAfterMs) && retryAfterMs > 0) context.stats.recordRetryAfter(retryAfterMs);
}

function buildHeaders(
  contentLength: number,
  sequence: number,
  extra: OutgoingHttpHeaders | undefined,
): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {
    'content-type': 'application/json',
    'content-length': contentLength,
    'x-request-id': `req_${String(sequence)}`,
  };
  return extra === undefined ? headers : Object.assign(headers, extra);
}

function computeDelayMs(context: SimulatorContext): number {
  const { latencyMs, jitterMs } = context.options;
  if (jitterMs <= 0) return latencyMs;
  return Math.max(0, Math.round(latencyMs + (context.jitterRandom() * 2 - 1) * jitterMs));
}

/** The `echoAuthRate` fault: a JSON answer that quotes the request's Authorization header back. */
function withEcho(
  context: SimulatorContext,
  response: ServerResponse,
  sequence: number,
  planned: PlannedAnswer,
): PlannedAnswer {
  const authorization = response.req.headers.authorization;
  if (authorization === undefined || (planned.kind !== 'answer' && planned.kind !== 'success')) return planned;
  if (!drawsEcho(context.options.echoAuthRate, context.options.seed, sequence)) return planned;
  return { ...planned, body: echoAuthorization(planned.body, authorization) };
}
