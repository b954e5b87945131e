import type { Dispatcher } from 'undici';
import { ANTHROPIC_BATCH_LIMITS as ANTHROPIC_LIMITS } from './anthropic-batch-limits.ts';
import Anthropic from '@anthropic-ai/sdk';
import type { MessageBatch } from '@anthropic-ai/sdk/resources/messages/batches';
import type { PreparedRequest } from '../../core/item.ts';
import type {
  BatchInput,
  BatchLimits,
  BatchLineResult,
  BatchProvider,
  ChunkTag,
  EncodedLine,
  RemoteBatch,
} from '../provider.ts';
import { convertAnthropicResult } from './from-anthropic-result.ts';
import { mapAnthropicBatch, mapAnthropicCounts } from './map-anthropic-batch-status.ts';
import { streamBatchRequests } from './stream-batch-requests.ts';
import { isChatCompletionsUrl, toMessagesParams } from './to-messages-params.ts';
import { fromAnthropicError } from './to-provider-error.ts';
import { normalizeAnthropicBaseUrl } from './normalize-anthropic-base-url.ts';
import { ProviderError } from '../../errors/index.ts';
import { unreadableLine } from '../unreadable-line.ts';
import { DEFAULT_MAX_RESPONSE_BYTES } from '../../config/config-schema.ts';
import { readResultLines } from '../read-result-lines.ts';

export interface AnthropicBatchProviderOptions {
  /**
   * What the user configured: `https://api.anthropic.com` or `http://127.0.0.1:PORT`. The SDK appends
   * `/v1/messages/batches`, so a trailing `/v1` (and trailing slashes) are dropped.
   */
  baseUrl: string;
  /** Sent as `x-api-key`; null or empty sends no key at all. */
  apiKey: string | null;
  /** Deadline of one API call, in ms (a create of 256 MB included; streaming results is not bounded). @default 600000 */
  timeoutMs?: number;
  /**
   * `max_response_bytes`: a result line longer than this is never held whole; its item fails with
   * `response_too_large` (the other lines are read on).
   * @default DEFAULT_MAX_RESPONSE_BYTES (64 MiB)
   */
  maxResponseBytes?: number | undefined;
  /** `max_tokens` for lines that set neither `max_tokens` nor `max_completion_tokens`. Minimum: 1. @default 1024 */
  defaultMaxTokens?: number;
  /** Where the SDK's requests go (a proxy, see create-proxy-dispatcher.ts); closed by `close()`. */
  dispatcher?: Dispatcher | undefined;
}

/** Anthropic's documented caps on one Message Batch; bytes counted in decimal megabytes. */

/** An orphan batch was created after its chunk's submit started; allow for clock skew between us and the server. */
const CLOCK_SKEW_MS = 5 * 60_000;

const CUSTOM_ID_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;
/** The shape of the ids `remoteId` derives; an item id of this shape could collide with one, so it is never used. */
const DERIVED_ID_PATTERN = /^bp-\d+$/;

/**
 * Anthropic Message Batches through the official SDK with its retries off (the engine retries). Requests go inline
 * in the create call (no files), each line converted from OpenAI chat/completions (see to-messages-params.ts), and
 * results come back as OpenAI `chat.completion` bodies (see from-anthropic-result.ts).
 *
 * Auth: the SDK (v1) would send the key as `Authorization: Bearer`; Anthropic's documented header is `x-api-key`,
 * so that is set and `Authorization` removed. A key is always passed to the SDK (a placeholder when none is
 * configured) so it never falls back to `ANTHROPIC_API_KEY` or a credentials profile from the environment.
 */
export class AnthropicBatchProvider implements BatchProvider {
  readonly name = 'anthropic-batch';
  readonly limits: BatchLimits = ANTHROPIC_LIMITS;
  private readonly client: Anthropic;
  private readonly defaultMaxTokens: number;
  private readonly maxResponseBytes: number;
  private readonly secrets: readonly string[];
  /** Sampling keys some line set that are not sent, and those already told. */
  private readonly unsent = new Set<string>();
  private readonly told = new Set<string>();

  private readonly dispatcher: Dispatcher | undefined;

  constructor(options: AnthropicBatchProviderOptions) {
    this.dispatcher = options.dispatcher;
    const defaultMaxTokens = options.defaultMaxTokens ?? 1024;
    if (!Number.isInteger(defaultMaxTokens) || defaultMaxTokens < 1) {
      throw new RangeError(
        `Expected \`defaultMaxTokens\` to be an integer from 1 and up, got ${String(defaultMaxTokens)}`,
      );
    }
    this.defaultMaxTokens = defaultMaxTokens;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    const key = options.apiKey ?? '';
    this.secrets = key === '' ? [] : [key];
    this.client = new Anthropic({
      apiKey: key === '' ? 'none' : key,
      baseURL: normalizeAnthropicBaseUrl(options.baseUrl),
      maxRetries: 0,
      timeout: options.timeoutMs ?? 600_000,
      ...(options.dispatcher === undefined
        ? {}
        : {
            // undici's dispatcher, as Node's fetch takes it; the SDK types it by the DOM's RequestInit.
            fetchOptions: { dispatcher: options.dispatcher } as unknown as NonNullable<
              ConstructorParameters<typeof Anthropic>[0]
            >['fetchOptions'],
          }),
      logLevel: 'off',
      defaultHeaders: { authorization: null, 'x-api-key': key === '' ? null : key },
    });
  }

  /** The sampling keys some line set that are not sent and were not told yet, as one notice; each key told once. */
  private newNotices(): string[] {
    if (this.unsent.size === this.told.size) return [];
    const fresh = [...this.unsent].filter((key) => !this.told.has(key));
    if (fresh.length === 0) return [];
    for (const key of fresh) this.told.add(key);
    return [
      `${fresh.join(', ')} ${fresh.length === 1 ? 'is' : 'are'} set in the input but not sent to Anthropic: the Messages API version of the @anthropic-ai/sdk in use refuses ${fresh.length === 1 ? 'it' : 'them'}; the answers use the model's defaults`,
    ];
  }

  /**
   * The item's own id when Anthropic accepts it (`^[a-zA-Z0-9_-]{1,64}$`) and it does not look like a derived id;
   * otherwise `bp-<seq>`. Item ids are unique within a job and seqs are too, so remote ids never collide.
   */
  remoteId(customId: string, seq: number): string {
    return CUSTOM_ID_PATTERN.test(customId) && !DERIVED_ID_PATTERN.test(customId) ? customId : `bp-${String(seq)}`;
  }

  /**
   * `{"custom_id", "params"}` for an OpenAI chat/completions request. Throws a plain `Error` for any other endpoint
   * (embeddings, completions, responses have no Message Batches equivalent) and for a body that cannot be sent at
   * all; the engine stops the job with that message.
   */
  encodeLine(remoteId: string, request: PreparedRequest): EncodedLine {
    if (!isChatCompletionsUrl(request.url)) {
      throw new Error(
        `line ${remoteId}: the anthropic provider takes only chat/completions requests in batch mode, got url ${JSON.stringify(request.url)}`,
      );
    }
    let line: string;
    try {
      line = JSON.stringify({
        custom_id: remoteId,
        params: toMessagesParams(request.body, this.defaultMaxTokens, this.unsent),
      });
    } catch (error) {
      throw new Error(`line ${remoteId}: cannot convert to an Anthropic message: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return { line, notices: this.newNotices() };
  }

  /** Message Batches take requests inline: the chunk file is read by `createBatch`, nothing is uploaded. */
  prepareInput(_tag: ChunkTag, path: string): Promise<BatchInput> {
    return Promise.resolve({ kind: 'inline', path });
  }

  findUpload(): Promise<string | null> {
    return Promise.resolve(null);
  }

  async createBatch(tag: ChunkTag, input: BatchInput & { lineCount: number; url: string }): Promise<RemoteBatch> {
    if (input.kind !== 'inline') throw new Error('Anthropic Message Batches take requests inline, not a file id');
    // Outside the try: a missing chunk file is our fault, not a network failure to retry.
    const body = await streamBatchRequests(input.path);
    try {
      const batch = await this.client.post<MessageBatch>('/v1/messages/batches', {
        body,
        headers: { 'content-type': 'application/json' },
      });
      return mapAnthropicBatch(batch);
    } catch (error) {
      throw fromAnthropicError(error, `creating the batch of chunk ${String(tag.chunkNo)}`, this.secrets);
    }
  }

  /**
   * Message Batches carry no metadata, so an orphan (created, but its id never committed) is recognised by shape:
   * among batches created at or after `since` - 5 min (newest first, stopping at the first older one), those whose
   * request count equals `lineCount` and whose id is not `claimed`. Adopted only when exactly one matches.
   *
   * Limits: another job, process or person that created a batch of the same size in that window makes the match
   * ambiguous (null: the chunk is created again, and the orphan runs unclaimed and is paid for), or, if the orphan
   * itself is gone, could be taken for ours (its results then match none of our ids, so the chunk's items come
   * back without results and are resubmitted). Two chunks of one job with equal line counts orphaned together
   * are ambiguous the same way. Null is always the safe answer; a wrong adoption only costs a resubmission.
   */
  async findBatch(
    tag: ChunkTag,
    options: { since: number; lineCount: number; claimed: ReadonlySet<string> },
  ): Promise<RemoteBatch | null> {
    const oldest = options.since - CLOCK_SKEW_MS;
    try {
      let found: MessageBatch | null = null;
      for await (const batch of this.client.messages.batches.list({ limit: 100 })) {
        if (Date.parse(batch.created_at) < oldest) break;
        if (options.claimed.has(batch.id) || mapAnthropicCounts(batch.request_counts).total !== options.lineCount) {
          continue;
        }
        if (found !== null) return null;
        found = batch;
      }
      return found === null ? null : mapAnthropicBatch(found);
    } catch (error) {
      throw fromAnthropicError(error, `listing batches for chunk ${String(tag.chunkNo)}`, this.secrets);
    }
  }

  async getBatch(batchId: string): Promise<RemoteBatch> {
    try {
      return mapAnthropicBatch(await this.client.messages.batches.retrieve(batchId));
    } catch (error) {
      throw fromAnthropicError(error, `polling batch ${batchId}`, this.secrets);
    }
  }

  async cancelBatch(batchId: string): Promise<RemoteBatch> {
    try {
      return mapAnthropicBatch(await this.client.messages.batches.cancel(batchId));
    } catch (error) {
      throw fromAnthropicError(error, `cancelling batch ${batchId}`, this.secrets);
    }
  }

  /**
   * Streams the results JSONL: the batch is fetched again for its `results_url` (as the SDK's `results()` does), and
   * the file is split by our own splitter rather than the SDK's decoder, which holds a line whole however long (a
   * line over `max_response_bytes` never is here) and throws on the first line that is not JSON (which would make the
   * engine download the file again for ever: here such a line fails only its item). Bodies get the batch's creation time.
   */
  async *readResults(batch: RemoteBatch): AsyncIterable<BatchLineResult> {
    const what = `downloading the results of batch ${batch.id}`;
    const createdSeconds = Number.isFinite(batch.createdAt) ? Math.floor(batch.createdAt / 1000) : 0;
    try {
      const current = await this.client.messages.batches.retrieve(batch.id);
      if (typeof current.results_url !== 'string' || current.results_url === '') {
        throw new ProviderError(`${what}: the batch has no results_url (${current.processing_status})`, {
          kind: 'http',
          status: 404,
        });
      }
      const response = await this.client
        .get(current.results_url, { headers: { Accept: 'application/binary' }, stream: true, __binaryResponse: true })
        .asResponse();
      if (response.body === null) return;
      yield* readResultLines(response.body, this.maxResponseBytes, (text) => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          return unreadableLine(
            text,
            `the results of batch ${batch.id} have a line that is not JSON: ${text.slice(0, 200)}`,
          );
        }
        return convertAnthropicResult(parsed, createdSeconds);
      });
    } catch (error) {
      throw fromAnthropicError(error, what, this.secrets);
    }
  }

  async close(): Promise<void> {
    // The SDK keeps no pool of its own beyond the global dispatcher (or the proxy's, ours to close).
    await this.dispatcher?.close();
  }
}
