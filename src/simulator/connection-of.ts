import type { Socket } from 'node:net';
import type { ServerResponse } from 'node:http';

/**
 * The connection an answer goes out on. `response.socket` is null while an earlier answer on the same keep-alive
 * connection is still being flushed (Node queues the new response until the old one finishes): a client that read a
 * long body and sent its next request at once meets exactly that. The request's socket is the same connection and is
 * always set, so an answer is never dropped for a socket it will get a moment later.
 */
export function connectionOf(response: ServerResponse): Socket {
  return response.socket ?? response.req.socket;
}
