import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ForwardProxy {
  /** `http://127.0.0.1:PORT`, for `HTTP_PROXY`. */
  url: string;
  /** Requests forwarded so far, by target origin (`http://127.0.0.1:8000`). */
  readonly forwarded: Map<string, number>;
  close(): Promise<void>;
}

/**
 * A plain HTTP forward proxy on 127.0.0.1 (no CONNECT): a client sends `GET http://host:port/path` to it, it sends the
 * request on to that origin and streams the answer back, counting what it forwarded. Enough for `http://` endpoints.
 */
export async function startForwardProxy(): Promise<ForwardProxy> {
  const forwarded = new Map<string, number>();
  const server = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
    let target: URL;
    try {
      target = new URL(incoming.url ?? '');
    } catch {
      outgoing.writeHead(400).end('absolute URI required');
      return;
    }
    forwarded.set(target.origin, (forwarded.get(target.origin) ?? 0) + 1);
    const headers = { ...incoming.headers };
    delete headers['proxy-connection'];
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: incoming.method,
        headers,
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    upstream.on('error', () => outgoing.destroy());
    incoming.pipe(upstream);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${String(port)}`,
    forwarded,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
