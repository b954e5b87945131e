/** Response headers as undici gives them. */
export type ResponseHeaders = Record<string, string | string[] | undefined>;
import type { RateLimitHints } from '../provider.ts';

/** Parses OpenAI-style reset durations: `120ms`, `1.5s`, `6m0s`, `1h2m3s`. */
export function parseResetDuration(text: string): number | undefined {
  const pattern = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let matched = false;
  for (const match of text.matchAll(pattern)) {
    matched = true;
    const value = Number.parseFloat(match[1] ?? '0');
    const unit = match[2];
    total += unit === 'ms' ? value : unit === 's' ? value * 1000 : unit === 'm' ? value * 60_000 : value * 3_600_000;
  }
  return matched ? total : undefined;
}

function header(headers: ResponseHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function numberHeader(headers: ResponseHeaders, name: string): number | undefined {
  const value = header(headers, name);
  if (value === undefined) return undefined;
  const parsed = Number.parseFloat(value);
  return Number.isFinite(parsed) ? parsed : undefined;
}

/** `x-ratelimit-*` headers, or null when the server sends none (most local servers). */
export function readRateLimitHints(headers: ResponseHeaders): RateLimitHints | null {
  const limitRequests = numberHeader(headers, 'x-ratelimit-limit-requests');
  const limitTokens = numberHeader(headers, 'x-ratelimit-limit-tokens');
  if (limitRequests === undefined && limitTokens === undefined) return null;
  const hints: RateLimitHints = {};
  const fill = (key: keyof RateLimitHints, value: number | undefined): void => {
    if (value !== undefined) hints[key] = value;
  };
  fill('limitRequests', limitRequests);
  fill('remainingRequests', numberHeader(headers, 'x-ratelimit-remaining-requests'));
  fill('resetRequestsMs', parseResetDuration(header(headers, 'x-ratelimit-reset-requests') ?? ''));
  fill('limitTokens', limitTokens);
  fill('remainingTokens', numberHeader(headers, 'x-ratelimit-remaining-tokens'));
  fill('resetTokensMs', parseResetDuration(header(headers, 'x-ratelimit-reset-tokens') ?? ''));
  return hints;
}

export function readHeader(headers: ResponseHeaders, name: string): string | undefined {
  return header(headers, name);
}
