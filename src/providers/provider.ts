import type { PreparedRequest, TokenUsage } from '../core/item.ts';

/**
 * Provider contracts. A provider turns one prepared request into one response, or throws a
 * `ProviderError` (see `src/errors/provider-error.ts`) that the retry policy can classify.
 *
 * Deliberately left out: the store, retries, rate limiting, and anything about jobs. A
 * provider makes exactly one attempt per call; the engine decides whether there is another.
 * Batch providers (files + batches, Message Batches) get their own contract in this file
 * when they arrive.
 */
export interface RealtimeProvider {
  readonly name: string;
  send(request: PreparedRequest, options: SendOptions): Promise<ProviderResponse>;
  close(): Promise<void>;
}

export interface SendOptions {
  /** Whole-request deadline in ms: no answer by then is a `TimeoutError`. */
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface ProviderResponse {
  statusCode: number;
  requestId: string | null;
  /** The response body as JSON text on one line (validated as JSON). */
  body: string;
  usage: TokenUsage | null;
  /** Rate-limit hints the server sent (`x-ratelimit-*`), for the adaptive limiter. */
  rateLimit: RateLimitHints | null;
}

export interface RateLimitHints {
  limitRequests?: number;
  remainingRequests?: number;
  resetRequestsMs?: number;
  limitTokens?: number;
  remainingTokens?: number;
  resetTokensMs?: number;
}
