import type { ChunkEnd, RemoteCounts } from '../core/chunk.ts';
import type { ItemError, PreparedRequest, TokenUsage } from '../core/item.ts';
import type { ProviderFailureKind } from '../errors/index.ts';

/**
 * Provider contracts. A provider turns one prepared request into one response, or throws a
 * `ProviderError` (see `src/errors/provider-error.ts`) that the retry policy can classify.
 *
 * Deliberately left out: the store, retries, rate limiting, and anything about jobs. A
 * provider makes exactly one attempt per call; the engine decides whether there is another.
 * Batch providers (files + batches, Message Batches) have their own contract below.
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
  /** The item this attempt is for: providers with per-item files (command tasks) name them after it. */
  item?: { customId: string; seq: number; attempt: number };
}

export interface ProviderResponse {
  statusCode: number;
  requestId: string | null;
  /**
   * The response body as JSON text on one line (validated as JSON). A large answer comes as its
   * UTF-8 bytes, never decoded, so the store can take it with one copy at most.
   */
  body: string | Buffer;
  /**
   * The body as the provider parsed it whole, when it did (an answer small enough to be decoded): what the answer's
   * check reads, so it is not parsed twice. Absent for an answer kept as bytes.
   */
  parsed?: unknown;
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

/**
 * A provider's asynchronous Batch API (OpenAI-compatible files + batches, Anthropic Message
 * Batches). Each method is one remote step and throws a `ProviderError` on failure: the
 * engine commits every id a step returns before taking the next step, and retries network
 * failures itself.
 *
 * Deliberately left out: the store, chunk planning, polling cadence, retries and prices (the
 * Batch API's price factor is the price table's, `BATCH_PRICE_FACTOR`). Remote objects are tagged with the job id and chunk number so `findUpload` / `findBatch` can
 * adopt what a crash left behind instead of paying twice.
 */
export interface BatchProvider {
  readonly name: string;
  /** Per-batch limits; config (`chunk.*`) may lower them. */
  readonly limits: BatchLimits;
  /**
   * The `custom_id` a line is sent under: the item's own where the provider accepts it, else
   * one derived from `seq` (Anthropic allows only `[a-zA-Z0-9_-]{1,64}`). Results come back
   * under this id and are matched by it, never by position.
   */
  remoteId(customId: string, seq: number): string;
  /**
   * One request as a line of the provider's batch input, with what it had to leave out (see
   * `EncodedLine`). Rewrites the line's `url` to the dialect's path.
   */
  encodeLine(remoteId: string, request: PreparedRequest): EncodedLine;
  /**
   * Readies a chunk file (lines as `encodeLine` made them) for `createBatch`. Files + batches
   * upload it (one remote step: the engine commits the file id before the next); providers
   * that take requests inline (Anthropic) return the path as is, without a remote call.
   */
  prepareInput(tag: ChunkTag, path: string): Promise<BatchInput>;
  /** A file uploaded for this tag earlier (a crash came before its id was committed); inline providers: null. */
  findUpload(tag: ChunkTag): Promise<string | null>;
  /** Create the batch from a prepared input. */
  createBatch(tag: ChunkTag, input: BatchInput & { lineCount: number; url: string }): Promise<RemoteBatch>;
  /**
   * A batch created for this tag earlier, looked for among batches created since
   * `since` (ms epoch). `lineCount` helps providers without metadata recognise it.
   */
  findBatch(
    tag: ChunkTag,
    options: { since: number; lineCount: number; claimed: ReadonlySet<string> },
  ): Promise<RemoteBatch | null>;
  getBatch(batchId: string): Promise<RemoteBatch>;
  cancelBatch(batchId: string): Promise<RemoteBatch>;
  /**
   * Streams the results of an ended batch, one per line that came back, in any order. A line that cannot be read is
   * yielded as `unreadable`, never thrown. A result file the provider no longer has throws (HTTP 404): the engine
   * reads the batch again and, if the results still cannot be had, sends the chunk's open lines again.
   */
  readResults(batch: RemoteBatch): AsyncIterable<BatchLineResult>;
  close(): Promise<void>;
}

/** What a batch is created from: a file uploaded to the provider, or the chunk file's lines sent inline. */
export type BatchInput = { kind: 'file'; fileId: string } | { kind: 'inline'; path: string };

export interface EncodedLine {
  /** The line (no newline); its byte length is what chunk limits count. */
  line: string;
  /**
   * What the input asked for that this line does not send (e.g. parameters the API refuses),
   * each said once per provider: empty once said. The engine logs them and the CLI prints them,
   * so nothing the input sets is dropped unsaid.
   */
  notices: readonly string[];
}

export interface BatchLimits {
  maxRequests: number;
  maxBytes: number;
  /** Whether every line of one batch must name the same model. */
  oneModelPerBatch: boolean;
}

export interface ChunkTag {
  jobId: string;
  chunkNo: number;
}

export interface RemoteBatch {
  id: string;
  /** The provider's status word, unchanged. Unknown words count as not ended. */
  rawStatus: string;
  /** Null while the batch is not finished. */
  end: ChunkEnd | null;
  counts: RemoteCounts;
  /** Whole-batch errors (validation, enqueued-token limit). */
  errors: { code: string; message: string }[];
  /** What `readResults` needs: output/error file ids, or a results URL. */
  resultRefs: Record<string, string>;
  createdAt: number;
}

/** Code of a whole-batch error meaning "too many tokens enqueued now, try later". */
export const TOKEN_LIMIT_ERROR = 'token_limit_exceeded';

export type BatchLineResult =
  | {
      /** The remote id the line was sent under (see `remoteId`). */
      customId: string;
      kind: 'succeeded';
      statusCode: number;
      requestId: string | null;
      /** The response body in our output format: OpenAI-shaped (Anthropic's keeps its Message under `anthropic_message`). */
      body: string;
      usage: TokenUsage | null;
    }
  /** The engine's retry policy decides from `failureKind` and `error.status` whether to resubmit. */
  | { customId: string; kind: 'errored'; error: ItemError; failureKind: ProviderFailureKind }
  | { customId: string; kind: 'expired' | 'cancelled' }
  /**
   * A line that could not be read (not JSON, no custom id, a shape we do not know). `customId` is what could still be
   * recovered from its text, else null. It settles only its own item (resubmitted, or failed once out of attempts;
   * an item whose line had no readable id gets no result and is resubmitted with the chunk's leftovers), and it never
   * ends the download: a retry would read the same line again.
   */
  | { customId: string | null; kind: 'unreadable'; reason: string };
