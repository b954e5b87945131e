import { ConfigError } from '../errors/index.ts';

/**
 * The HTTP proxy to send through, from the variables every HTTP tool of this ecosystem reads
 * (curl, npm, pip, undici's `EnvHttpProxyAgent`): `http_proxy`/`HTTP_PROXY` for `http://`
 * endpoints, `https_proxy`/`HTTPS_PROXY` for `https://` ones (falling back to the http one), and
 * `no_proxy`/`NO_PROXY` (comma-separated hosts, `.suffix`, `host:port`, `*`) for endpoints reached
 * directly. The lowercase spelling wins, as in curl. Read once, in the config layer; the providers
 * are handed the values and never read the environment.
 */
export interface ProxySettings {
  /** Proxy URL for `http://` endpoints; `''` for none. */
  readonly httpProxy: string;
  /** Proxy URL for `https://` endpoints; `''` for none. */
  readonly httpsProxy: string;
  /** Hosts reached without the proxy; `''` for none. */
  readonly noProxy: string;
}

function pick(env: Readonly<Record<string, string | undefined>>, name: string): string {
  return env[name.toLowerCase()] ?? env[name.toUpperCase()] ?? '';
}

/** The proxy settings of `env`, or null when it names no proxy. */
export function readProxySettings(env: Readonly<Record<string, string | undefined>>): ProxySettings | null {
  const httpProxy = pick(env, 'http_proxy');
  const httpsProxy = pick(env, 'https_proxy') || httpProxy;
  if (httpProxy === '' && httpsProxy === '') return null;
  return { httpProxy, httpsProxy, noProxy: pick(env, 'no_proxy') };
}

/**
 * The passwords in the proxy URLs (`http://user:password@proxy:3128`), to be masked like a key. Throws
 * `CONFIG_INVALID` naming the variable when a proxy value is not a URL.
 */
export function proxyPasswords(proxy: ProxySettings | null): string[] {
  if (proxy === null) return [];
  const passwords: string[] = [];
  for (const [name, url] of [
    ['HTTP_PROXY', proxy.httpProxy],
    ['HTTPS_PROXY', proxy.httpsProxy],
  ] as const) {
    if (url === '') continue;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ConfigError(
        'CONFIG_INVALID',
        `environment variable ${name} (or its lowercase spelling) is not a URL; set it like http://proxy.example:3128, or unset it`,
        { context: { key: name } },
      );
    }
    const password = decodeURIComponent(parsed.password);
    if (password !== '') passwords.push(password);
  }
  return passwords;
}
