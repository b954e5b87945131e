import { Agent, type Dispatcher } from 'undici';
import type { ProxySettings } from '../config/proxy-settings.ts';
import { createProxyDispatcher } from './create-proxy-dispatcher.ts';

/** Keep-alive HTTP connections that several realtime providers send through (see `createHttpConnections`). */
export type HttpConnections = Dispatcher;

/**
 * One set of keep-alive connections for every realtime job of a process (the scheduler's):
 * at most `maxPerOrigin` connections to each origin, shared by all jobs that talk to it.
 *
 * Why shared: each job's own pool would keep its own idle connections while the slot pool
 * moves in-flight requests between jobs, so ten jobs of a 512-slot budget could hold
 * thousands of sockets, and every request paid for the extra sockets on both ends (write
 * and GC cost measured at about 10% of the scheduler's CPU).
 */
export function createHttpConnections(maxPerOrigin: number, proxy: ProxySettings | null = null): HttpConnections {
  const options = {
    connections: Math.max(1, maxPerOrigin),
    pipelining: 1,
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
  };
  // With a proxy (`HTTP_PROXY`, ... in the scheduler's environment), every job's requests go through it.
  return proxy === null ? new Agent(options) : createProxyDispatcher(proxy, options);
}
