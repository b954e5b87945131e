import { EnvHttpProxyAgent, type Agent, type Dispatcher } from 'undici';
import type { ProxySettings } from '../config/proxy-settings.ts';

/**
 * A dispatcher that sends each request through the proxy its endpoint calls for (`HTTP_PROXY` for
 * `http://`, `HTTPS_PROXY` for `https://`, none for a `NO_PROXY` host), with the keep-alive
 * options of the connections it replaces. `https://` endpoints are tunnelled (CONNECT); `http://`
 * ones are sent to the proxy as plain forwarded requests (`GET http://host/path`), as curl does,
 * so a plain forward proxy serves them. The settings are passed in whole: undici would read the
 * environment for any left undefined.
 */
export function createProxyDispatcher(proxy: ProxySettings, options: Agent.Options = {}): Dispatcher {
  return new EnvHttpProxyAgent({
    ...options,
    httpProxy: proxy.httpProxy,
    httpsProxy: proxy.httpsProxy,
    noProxy: proxy.noProxy,
    proxyTunnel: false,
  });
}
