export const GENERATION_ENDPOINTS = ['chat/completions', 'completions', 'embeddings', 'responses'] as const;

export type GenerationEndpoint = (typeof GENERATION_ENDPOINTS)[number];

/** The API prefixes the simulator answers under: OpenAI's, and Zhipu's two spellings. */
export const API_PREFIXES = ['/v1/', '/v4/', '/api/paas/v4/'] as const;

/**
 * Accepts `chat/completions`, `/chat/completions`, `/v1/chat/completions` (the `url` of an OpenAI batch line) or the
 * same under `/v4/` and `/api/paas/v4/`; returns undefined for anything else.
 */
export function toGenerationEndpoint(endpointOrPath: string): GenerationEndpoint | undefined {
  let rest = endpointOrPath;
  for (const prefix of API_PREFIXES) {
    if (rest.startsWith(prefix)) {
      rest = rest.slice(prefix.length);
      break;
    }
  }
  if (rest.startsWith('/')) rest = rest.slice(1);
  return (GENERATION_ENDPOINTS as readonly string[]).includes(rest) ? (rest as GenerationEndpoint) : undefined;
}
