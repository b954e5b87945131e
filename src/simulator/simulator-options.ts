/**
 * Probability, from 0 to 1, that a generation request gets each fault. One PRNG draw per request picks at most one
 * fault, trying the kinds in the order of this type (see fault-injection.ts).
 */
export interface FailureRates {
  /** Answer 500 with an OpenAI-shaped `server_error`. @default 0 */
  http500?: number;
  /** Answer 429 with `retry-after-ms` and `retry-after` headers of `retryAfterMs`. @default 0 */
  http429?: number;
  /** Reset the connection without writing anything. @default 0 */
  resetBeforeResponse?: number;
  /** Write status 200, headers with the full content-length and about half the body, then close the socket. @default 0 */
  resetMidBody?: number;
  /** Never answer; hold the socket for `hangMs`, then destroy it. @default 0 */
  hang?: number;
  /** Answer 200 `application/json` with a truncated body that is not JSON. @default 0 */
  malformed?: number;
  /** Answer 503 "overloaded" (OpenAI-shaped `server_error`), without retry headers. @default 0 */
  http503?: number;
  /** Answer 529 with Anthropic's `overloaded_error` body, without retry headers. @default 0 */
  http529?: number;
  /** Answer 200 with a chunked body that never ends, sent as fast as the client reads (oversized-answers.ts). @default 0 */
  endless?: number;
  /** Answer 200 with headers and half the body, then stay silent for `hangMs` (oversized-answers.ts). @default 0 */
  stall?: number;
}

/**
 * Structured answers (structured/build-structured-answer.ts): rates, 0 to 1, of each fault among the answers to
 * requests that ask for JSON; one draw per request, seeded by `seed` and the request, tried in this order.
 */
export interface StructuredRates {
  /** Text that is not JSON: prose, or a single-quoted object with a trailing comma in prose. @default 0 */
  invalidJson?: number;
  /** Valid JSON that breaks the schema: a required property missing, or one of the wrong type. @default 0 */
  schemaBreak?: number;
  /** Strings shorter than their `minLength`, arrays shorter than their `minItems`. @default 0 */
  shortText?: number;
  /** `finish_reason: "length"` with the content cut in the middle of the JSON. @default 0 */
  truncated?: number;
  /** `message.refusal` set, `content: null`, `finish_reason: "stop"`. @default 0 */
  refusal?: number;
  /**
   * Probability that a re-ask (last user message starting `Your previous answer`) gets a valid answer; otherwise it
   * gets one of the faults above, in proportion to their rates (a schema break when all are 0). @default 0.8
   */
  reaskFixRate?: number;
}

export interface SimulatorOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** `0` picks a free port. @default 0 */
  port?: number;
  /** Base latency of every answered request, in ms. @default 0 */
  latencyMs?: number;
  /** Uniform +-jitter added to the latency, in ms; the total never drops below 0. @default 0 */
  jitterMs?: number;
  failureRates?: FailureRates;
  /** Delay advertised by injected 429s, in ms. @default 100 */
  retryAfterMs?: number;
  /** Requests per minute enforced with a token bucket holding one second of burst; `0` turns it off. @default 0 */
  rpm?: number;
  /** Send OpenAI's `x-ratelimit-*-requests` headers when `rpm` is on. @default false */
  rateLimitHeaders?: boolean;
  /** Generation requests allowed in flight at once; more get a 429. `0` turns it off. @default 0 */
  maxConcurrency?: number;
  /** When set, every API request must carry `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Seed of the PRNG that picks faults and jitter. @default 1 */
  seed?: number;
  /** How long a hang holds the socket, in ms; keep it above any client timeout. @default 600000 */
  hangMs?: number;
  /** Count repeated successful answers to the same path and body in `stats().duplicates`. @default true */
  trackDuplicates?: boolean;
  /**
   * How long a batch (OpenAI, Zhipu, Anthropic) takes from create to its end, in ms: validating for the first 10%,
   * in_progress (lines finishing evenly) until 90%, finalizing until 100%. A cancel ends a batch 10% of this later.
   * @default 2000
   */
  batchLifetimeMs?: number;
  /**
   * Probability, 0 to 1, that a whole batch fails: OpenAI and Zhipu batches end `failed` after validating with error
   * code `validation_error`; Anthropic creates answer 500 `api_error` (see anthropic-batch-routes.ts). @default 0
   */
  batchFailRate?: number;
  /** Probability, 0 to 1, that one batch line fails with a 500 (error file; Anthropic: `errored`). @default 0 */
  batchLineFailRate?: number;
  /** Probability, 0 to 1, that one batch line comes back `batch_expired` (Anthropic: `expired`). @default 0 */
  batchLineExpireRate?: number;
  /**
   * Estimated tokens (see batch/estimate-request-tokens.ts) the open batches of one pool may hold; `0` turns it off.
   * OpenAI and Zhipu pool per model and fail a batch over it at validation with `token_limit_exceeded`; Anthropic
   * pools all models and answers the create 429 (400 when the batch alone is over the limit). @default 0
   */
  batchEnqueuedTokenLimit?: number;
  /**
   * Probability, 0 to 1, that an answer quotes the request's `Authorization` header back: in the message of an error
   * body and as `echo` in a 200 body (see echo-authorization.ts), as a careless endpoint or proxy might. @default 0
   */
  echoAuthRate?: number;
  /** Every 200 generation answer is padded to about this many bytes (an `x_padding` member); `0` turns it off. @default 0 */
  responseBytes?: number;
  /** Injected 500s carry a body padded to about this many bytes; `0` turns it off. @default 0 */
  errorBodyBytes?: number;
  /** Fault rates of structured (JSON) answers; see StructuredRates. */
  structured?: StructuredRates;
  /**
   * Floats per embedding (text-embedding.ts) when the request does not ask for `dimensions`. From 1 to 65536.
   * @default 8
   */
  embeddingDimensions?: number;
  /**
   * Probability, 0 to 1, that an embeddings request answers 500 (`server_error`, counted in `faults.http500`), drawn
   * from a PRNG of its own, so a test can fail a sink's embeddings without moving the faults of the model's answers.
   * @default 0
   */
  embeddingErrorRate?: number;
}

export interface ResolvedSimulatorOptions {
  host: string;
  port: number;
  latencyMs: number;
  jitterMs: number;
  failureRates: Required<FailureRates>;
  retryAfterMs: number;
  rpm: number;
  rateLimitHeaders: boolean;
  maxConcurrency: number;
  apiKey: string | undefined;
  seed: number;
  hangMs: number;
  trackDuplicates: boolean;
  batchLifetimeMs: number;
  batchFailRate: number;
  batchLineFailRate: number;
  batchLineExpireRate: number;
  batchEnqueuedTokenLimit: number;
  echoAuthRate: number;
  responseBytes: number;
  errorBodyBytes: number;
  structured: Required<StructuredRates>;
  embeddingDimensions: number;
  embeddingErrorRate: number;
}

export const SIMULATOR_DEFAULTS = {
  host: '127.0.0.1',
  port: 0,
  latencyMs: 0,
  jitterMs: 0,
  retryAfterMs: 100,
  rpm: 0,
  rateLimitHeaders: false,
  maxConcurrency: 0,
  seed: 1,
  hangMs: 600_000,
  trackDuplicates: true,
  batchLifetimeMs: 2000,
  batchEnqueuedTokenLimit: 0,
  reaskFixRate: 0.8,
  embeddingDimensions: 8,
} as const;

// setTimeout overflows above 2^31-1 ms and fires at once, which would turn a long hang into an instant reset.
const MAX_TIMER_MS = 2_147_483_647;

export function resolveSimulatorOptions(options: SimulatorOptions = {}): ResolvedSimulatorOptions {
  const rates = options.failureRates ?? {};
  const port = options.port ?? SIMULATOR_DEFAULTS.port;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError(`Expected \`port\` to be an integer from 0 to 65535, got ${String(port)}`);
  }
  const apiKey = options.apiKey;
  if (apiKey === '')
    throw new RangeError('Expected `apiKey` to be a non-empty string or undefined, got an empty string');
  return {
    host: options.host ?? SIMULATOR_DEFAULTS.host,
    port,
    latencyMs: checkNonNegative('latencyMs', options.latencyMs ?? SIMULATOR_DEFAULTS.latencyMs),
    jitterMs: checkNonNegative('jitterMs', options.jitterMs ?? SIMULATOR_DEFAULTS.jitterMs),
    failureRates: {
      http500: checkRate('http500', rates.http500),
      http429: checkRate('http429', rates.http429),
      resetBeforeResponse: checkRate('resetBeforeResponse', rates.resetBeforeResponse),
      resetMidBody: checkRate('resetMidBody', rates.resetMidBody),
      hang: checkRate('hang', rates.hang),
      malformed: checkRate('malformed', rates.malformed),
      http503: checkRate('http503', rates.http503),
      http529: checkRate('http529', rates.http529),
      endless: checkRate('endless', rates.endless),
      stall: checkRate('stall', rates.stall),
    },
    retryAfterMs: checkNonNegative('retryAfterMs', options.retryAfterMs ?? SIMULATOR_DEFAULTS.retryAfterMs),
    rpm: checkNonNegative('rpm', options.rpm ?? SIMULATOR_DEFAULTS.rpm),
    rateLimitHeaders: options.rateLimitHeaders ?? SIMULATOR_DEFAULTS.rateLimitHeaders,
    maxConcurrency: checkNonNegative('maxConcurrency', options.maxConcurrency ?? SIMULATOR_DEFAULTS.maxConcurrency),
    apiKey,
    seed: checkFinite('seed', options.seed ?? SIMULATOR_DEFAULTS.seed),
    hangMs: Math.min(MAX_TIMER_MS, checkNonNegative('hangMs', options.hangMs ?? SIMULATOR_DEFAULTS.hangMs)),
    trackDuplicates: options.trackDuplicates ?? SIMULATOR_DEFAULTS.trackDuplicates,
    batchLifetimeMs: Math.min(
      MAX_TIMER_MS,
      checkNonNegative('batchLifetimeMs', options.batchLifetimeMs ?? SIMULATOR_DEFAULTS.batchLifetimeMs),
    ),
    batchFailRate: checkOptionRate('batchFailRate', options.batchFailRate),
    batchLineFailRate: checkOptionRate('batchLineFailRate', options.batchLineFailRate),
    batchLineExpireRate: checkOptionRate('batchLineExpireRate', options.batchLineExpireRate),
    echoAuthRate: checkOptionRate('echoAuthRate', options.echoAuthRate),
    batchEnqueuedTokenLimit: checkNonNegative(
      'batchEnqueuedTokenLimit',
      options.batchEnqueuedTokenLimit ?? SIMULATOR_DEFAULTS.batchEnqueuedTokenLimit,
    ),
    responseBytes: checkNonNegative('responseBytes', options.responseBytes ?? 0),
    errorBodyBytes: checkNonNegative('errorBodyBytes', options.errorBodyBytes ?? 0),
    structured: resolveStructuredRates(options.structured ?? {}),
    embeddingDimensions: checkDimensions(options.embeddingDimensions ?? SIMULATOR_DEFAULTS.embeddingDimensions),
    embeddingErrorRate: checkOptionRate('embeddingErrorRate', options.embeddingErrorRate),
  };
}

function checkDimensions(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 65_536) {
    throw new RangeError(`Expected \`embeddingDimensions\` to be an integer from 1 to 65536, got ${String(value)}`);
  }
  return value;
}

function resolveStructuredRates(rates: StructuredRates): Required<StructuredRates> {
  return {
    invalidJson: checkOptionRate('structured.invalidJson', rates.invalidJson),
    schemaBreak: checkOptionRate('structured.schemaBreak', rates.schemaBreak),
    shortText: checkOptionRate('structured.shortText', rates.shortText),
    truncated: checkOptionRate('structured.truncated', rates.truncated),
    refusal: checkOptionRate('structured.refusal', rates.refusal),
    reaskFixRate: checkOptionRate('structured.reaskFixRate', rates.reaskFixRate ?? SIMULATOR_DEFAULTS.reaskFixRate),
  };
}

function checkOptionRate(name: string, value: number | undefined): number {
  if (value === undefined) return 0;
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw new RangeError(`Expected \`${name}\` to be a number from 0 to 1, got ${String(value)}`);
  }
  return value;
}

function checkRate(name: string, value: number | undefined): number {
  if (value === undefined) return 0;
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw new RangeError(`Expected \`failureRates.${name}\` to be a number from 0 to 1, got ${String(value)}`);
  }
  return value;
}

function checkNonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`Expected \`${name}\` to be a number from 0 and up, got ${String(value)}`);
  }
  return value;
}

function checkFinite(name: string, value: number): number {
  if (!Number.isFinite(value)) throw new RangeError(`Expected \`${name}\` to be a finite number, got ${String(value)}`);
  return value;
}
