import { once } from 'node:events';
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A plain HTTP server on 127.0.0.1 whose answers a test scripts (a provider's API, say), on a free port. */
export interface HttpServerHandle {
  /** `http://127.0.0.1:PORT`, without a trailing slash. */
  origin: string;
  /** Stops listening and resolves once the server is closed. */
  close(): Promise<void>;
}

export async function startHttpServer(handler: RequestListener): Promise<HttpServerHandle> {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    origin: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * A handler that reads a request's whole body, parses it as JSON and hands it with the response to `onBody`: for a
 * test webhook (an `http` sink's endpoint, say) that looks at what it was sent and answers.
 */
export function withJsonBody<T>(onBody: (body: T, response: ServerResponse) => void): RequestListener {
  return (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => onBody(JSON.parse(Buffer.concat(chunks).toString('utf8')) as T, response));
  };
}
