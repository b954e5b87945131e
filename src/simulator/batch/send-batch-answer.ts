import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { scheduleAnswer } from '../deliver-answer.ts';
import { createErrorBody } from '../openai-error-body.ts';
import type { SimulatorContext } from '../simulator-context.ts';
import type { BatchRoute } from './batch-route.ts';

// Written in slices of this size, each after the previous drained, so a large file is never queued whole on a socket.
const SLICE_BYTES = 1 << 20;

/** A JSON answer after the configured latency, counted in `byStatus` like every other answer. */
export function sendJson(
  context: SimulatorContext,
  response: ServerResponse,
  sequence: number,
  status: number,
  body: string | Record<string, unknown>,
  headers?: OutgoingHttpHeaders,
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  scheduleAnswer(context, response, sequence, { kind: 'answer', status, body: text, headers });
}

/** Streams a stored file's bytes (slices of the one buffer, no copies) with backpressure. */
export function streamContent(
  context: SimulatorContext,
  response: ServerResponse,
  sequence: number,
  content: Buffer,
  contentType: string,
): void {
  response.writeHead(200, {
    'content-type': contentType,
    'content-length': content.length,
    'x-request-id': `req_${String(sequence)}`,
  });
  context.stats.recordStatus(200);
  let offset = 0;
  const writeMore = (): void => {
    while (offset < content.length) {
      const slice = content.subarray(offset, offset + SLICE_BYTES);
      offset += slice.length;
      if (!response.write(slice)) {
        response.once('drain', writeMore);
        return;
      }
    }
    response.end();
  };
  writeMore();
}

/** An OpenAI-shaped `invalid_request_error`. */
export function sendOpenAIError(
  context: SimulatorContext,
  response: ServerResponse,
  sequence: number,
  status: number,
  message: string,
  code: string,
  param: string | null = null,
): void {
  sendJson(context, response, sequence, status, createErrorBody(message, 'invalid_request_error', code, param));
}

export function sendMethodNotAllowed(context: SimulatorContext, response: ServerResponse, route: BatchRoute): void {
  const message = `Method ${route.method} not allowed on ${route.path}`;
  sendOpenAIError(context, response, route.sequence, 405, message, 'method_not_allowed');
}
