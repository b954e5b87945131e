/**
 * `https://api.anthropic.com/v1/` -> `https://api.anthropic.com`: the SDK adds `/v1/...` to every path itself, and
 * the model check builds its `/v1/models/{id}` from the same root. Without the SDK, so `plan` need not load it.
 */
export function normalizeAnthropicBaseUrl(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
}
