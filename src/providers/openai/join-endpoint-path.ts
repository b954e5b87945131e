/**
 * Joins a base URL's path and an input line's `url`. Lines carry the version in their url
 * (`/v1/chat/completions`, Zhipu's `/v4/...`) while base URLs usually end with it
 * (`.../v1`, `.../api/paas/v4`): a version segment present on both sides is kept once, so
 * one input file works against every OpenAI-compatible server.
 */
export function joinEndpointPath(basePath: string, url: string): string {
  const base = basePath.replace(/\/+$/, '');
  const path = url.startsWith('/') ? url : `/${url}`;
  const versionMatch = /^\/(v\d+)(\/.*)$/.exec(path);
  if (versionMatch !== null) {
    const [, version, rest] = versionMatch;
    if (base.endsWith(`/${version ?? ''}`) || /\/v\d+$/.test(base)) return `${base}${rest ?? ''}`;
  }
  return `${base}${path}`;
}
