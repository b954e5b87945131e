import type { ServerResponse } from 'node:http';
import { connectionOf } from './connection-of.ts';
import { holdUntilHangEnds } from './hold-until-hang-ends.ts';
import type { SimulatorContext } from './simulator-context.ts';

/**
 * Answers that test how much a client holds: an answer padded to a size (`responseBytes`,
 * `errorBodyBytes`), one that streams forever (`endless`) and one that stops halfway and stays
 * silent (`stall`). Padding goes into a member of its own, `x_padding`, so the answer's content
 * (and the `sim:<key>` a test checks) is unchanged.
 */

/** Bytes written per chunk of an endless answer. */
const ENDLESS_CHUNK = Buffer.alloc(64 * 1024, 'a');
const ENDLESS_HEAD = '{"id":"endless","object":"chat.completion","x_padding":"';

/** `text` (a JSON object) grown to about `targetBytes` with an `x_padding` member; unchanged when 0 or already larger. */
export function padJsonObject(text: string, targetBytes: number): string {
  const member = ',"x_padding":""';
  const missing = targetBytes - Buffer.byteLength(text) - member.length;
  if (targetBytes <= 0 || missing <= 0 || !text.endsWith('}')) return text;
  return `${text.slice(0, -1)},"x_padding":"${'x'.repeat(missing)}"}`;
}

/**
 * A 200 whose JSON body never ends: chunked, written as fast as the client reads (the socket's
 * backpressure is obeyed, so the simulator itself holds one chunk at a time), until the client
 * goes away or the simulator closes.
 */
export function streamEndlessAnswer(response: ServerResponse, sequence: number): void {
  response.writeHead(200, { 'content-type': 'application/json', 'x-request-id': `req_${String(sequence)}` });
  response.write(ENDLESS_HEAD);
  let closed = false;
  response.once('close', () => (closed = true));
  const writeMore = (): void => {
    while (!closed) {
      if (!response.write(ENDLESS_CHUNK)) {
        response.once('drain', writeMore);
        return;
      }
    }
  };
  writeMore();
}

/**
 * A 200 announcing the full `content-length` that sends half the body, then nothing: the socket
 * stays open and silent for `hangMs` (a stalled upstream), then is destroyed.
 */
export function stallAnswer(context: SimulatorContext, response: ServerResponse, body: string, sequence: number): void {
  if (connectionOf(response).destroyed) return;
  response.writeHead(200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-request-id': `req_${String(sequence)}`,
  });
  response.write(body.slice(0, Math.floor(body.length / 2)));
  holdUntilHangEnds(context, response);
}
