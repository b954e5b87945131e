import type { Dispatcher } from 'undici';
import { openAsBlob } from 'node:fs';
import OpenAI from 'openai';
import type { Batch, BatchCreateParams } from 'openai/resources/batches';
import type { ChunkEnd } from '../../core/chunk.ts';
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
import { BATCH_DIALECTS, toDialectUrl, type BatchDialect, type BatchDialectName } from './batch-dialects.ts';
import { convertOpenAIUsage } from './convert-openai-usage.ts';
import { fromOpenAIError } from './to-provider-error.ts';
import { unreadableLine } from '../unreadable-line.ts';
import { DEFAULT_MAX_RESPONSE_BYTES } from '../../config/config-schema.ts';
import { readResultLines } from '../read-result-lines.ts';

export interface OpenAIBatchProviderOptions {
  baseUrl: string;
  apiKey: string | null;
  dialect: BatchDialectName;
  /** @default '24h' */
  completionWindow?: string;
  /** Deadline of one API call (uploads of 200 MB included), in ms. @default 600000 */
  timeoutMs?: number;
  /** How many listed files/batches to look through for an orphan. @default 2000 */
  orphanScanLimit?: number;
  /** Where the SDK's requests go (a proxy, see create-proxy-dispatcher.ts); closed by `close()`. */
  dispatcher?: Dispatcher | undefined;
  /**
   * `max_response_bytes`: a result line longer than this is never held whole; its item fails with
   * `response_too_large` (the line's other items are read on).
   * @default DEFAULT_MAX_RESPONSE_BYTES (64 MiB)
   */
  maxResponseBytes?: number | undefined;
}

const TERMINAL: Readonly<Record<string, ChunkEnd>> = {
  completed: 'completed',
  failed: 'failed',
  expired: 'expired',
  cancelled: 'cancelled',
};

/** Every request is sent as the input wrote it. */
const NO_NOTICES: readonly string[] = [];

/** Metadata keys every batch we create carries, so a crash between create and commit can be undone by adoption. */
export const JOB_METADATA_KEY = 'batchpilot_job';
export const CHUNK_METADATA_KEY = 'batchpilot_chunk';

/** An orphan batch was created after its chunk's submit started; allow for clock skew between us and the server. */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * OpenAI-compatible files + batches (OpenAI, Zhipu `/api/paas/v4`, Azure) through the
 * official SDK with its retries off: the engine retries. Chunk files are uploaded from
 * disk as file-backed blobs, and result files are streamed line by line, so neither sits
 * in memory whole.
 */
export class OpenAIBatchProvider implements BatchProvider {
  readonly name: string;
  readonly limits: BatchLimits;
  private readonly client: OpenAI;
  private readonly dialect: BatchDialect;
  private readonly completionWindow: string;
  private readonly orphanScanLimit: number;
  private readonly maxResponseBytes: number;

  private readonly dispatcher: Dispatcher | undefined;

  constructor(options: OpenAIBatchProviderOptions) {
    this.dispatcher = options.dispatcher;
    this.dialect = BATCH_DIALECTS[options.dialect];
    this.name = `openai-batch:${this.dialect.name}`;
    this.limits = this.dialect.limits;
    this.completionWindow = options.completionWindow ?? '24h';
    this.orphanScanLimit = options.orphanScanLimit ?? 2000;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    const key = options.apiKey ?? '';
    const headers: Record<string, string | null> = {};
    if (this.dialect.authHeader === 'api-key') {
      headers['api-key'] = key;
      headers['authorization'] = null;
    } else if (key === '') {
      headers['authorization'] = null;
    }
    this.client = new OpenAI({
      apiKey: key === '' ? 'none' : key,
      baseURL: options.baseUrl.replace(/\/+$/, ''),
      maxRetries: 0,
      timeout: options.timeoutMs ?? 600_000,
      ...(options.dispatcher === undefined
        ? {}
        : {
            // undici's dispatcher, as Node's fetch takes it; the SDK types it by the DOM's RequestInit.
            fetchOptions: { dispatcher: options.dispatcher } as unknown as NonNullable<
              ConstructorParameters<typeof OpenAI>[0]
            >['fetchOptions'],
          }),
      defaultHeaders: headers,
    });
  }

  remoteId(customId: string): string {
    return customId;
  }

  encodeLine(remoteId: string, request: PreparedRequest): EncodedLine {
    // The body is already one line of JSON text: spliced in, not parsed and re-serialised.
    const url = toDialectUrl(this.dialect, request.url);
    return {
      line: `{"custom_id":${JSON.stringify(remoteId)},"method":"POST","url":${JSON.stringify(url)},"body":${request.body}}`,
      notices: NO_NOTICES,
    };
  }

  /** Uploads the chunk file (streamed from disk as a file-backed blob). */
  async prepareInput(tag: ChunkTag, path: string): Promise<BatchInput> {
    try {
      const file = new File([await openAsBlob(path)], fileName(tag), { type: 'application/jsonl' });
      const created = await this.client.files.create({ file, purpose: 'batch' });
      return { kind: 'file', fileId: created.id };
    } catch (error) {
      throw fromOpenAIError(error, `uploading chunk ${String(tag.chunkNo)}`);
    }
  }

  async findUpload(tag: ChunkTag): Promise<string | null> {
    const wanted = fileName(tag);
    try {
      let seen = 0;
      for await (const file of this.client.files.list({ purpose: 'batch', limit: 100 })) {
        if (file.filename === wanted && file.status !== 'error') return file.id;
        seen += 1;
        if (seen >= this.orphanScanLimit) break;
      }
      return null;
    } catch (error) {
      throw fromOpenAIError(error, `listing files for chunk ${String(tag.chunkNo)}`);
    }
  }

  async createBatch(tag: ChunkTag, input: BatchInput & { url: string }): Promise<RemoteBatch> {
    if (input.kind !== 'file') throw new Error('files + batches need an uploaded file');
    try {
      const batch = await this.client.batches.create({
        input_file_id: input.fileId,
        // Zhipu's `/v4/...` is not in the SDK's list of endpoints; the server is the judge.
        endpoint: toDialectUrl(this.dialect, input.url) as BatchCreateParams['endpoint'],
        completion_window: this.completionWindow as '24h',
        metadata: { [JOB_METADATA_KEY]: tag.jobId, [CHUNK_METADATA_KEY]: String(tag.chunkNo) },
      });
      return toRemoteBatch(batch);
    } catch (error) {
      throw fromOpenAIError(error, `creating the batch of chunk ${String(tag.chunkNo)}`);
    }
  }

  async findBatch(tag: ChunkTag, options: { since: number }): Promise<RemoteBatch | null> {
    try {
      let seen = 0;
      for await (const batch of this.client.batches.list({ limit: 100 })) {
        const metadata = batch.metadata ?? {};
        if (metadata[JOB_METADATA_KEY] === tag.jobId && metadata[CHUNK_METADATA_KEY] === String(tag.chunkNo)) {
          return toRemoteBatch(batch);
        }
        seen += 1;
        // Newest first: once past the moment the submit started, no later batch can be ours.
        if (batch.created_at * 1000 < options.since - CLOCK_SKEW_MS || seen >= this.orphanScanLimit) break;
      }
      return null;
    } catch (error) {
      throw fromOpenAIError(error, `listing batches for chunk ${String(tag.chunkNo)}`);
    }
  }

  async getBatch(batchId: string): Promise<RemoteBatch> {
    try {
      return toRemoteBatch(await this.client.batches.retrieve(batchId));
    } catch (error) {
      throw fromOpenAIError(error, `polling batch ${batchId}`);
    }
  }

  async cancelBatch(batchId: string): Promise<RemoteBatch> {
    try {
      return toRemoteBatch(await this.client.batches.cancel(batchId));
    } catch (error) {
      throw fromOpenAIError(error, `cancelling batch ${batchId}`);
    }
  }

  async *readResults(batch: RemoteBatch): AsyncIterable<BatchLineResult> {
    for (const key of ['output_file_id', 'error_file_id']) {
      const fileId = batch.resultRefs[key];
      if (fileId === undefined) continue;
      let response: Response;
      try {
        response = await this.client.files.content(fileId);
      } catch (error) {
        throw fromOpenAIError(error, `downloading ${fileId} of batch ${batch.id}`);
      }
      if (response.body === null) continue;
      try {
        yield* readResultLines(response.body, this.maxResponseBytes, (text) => parseResultLine(text, fileId));
      } catch (error) {
        throw fromOpenAIError(error, `downloading ${fileId} of batch ${batch.id}`);
      }
    }
  }

  async close(): Promise<void> {
    // The SDK keeps no pool of its own beyond the global dispatcher (or the proxy's, ours to close).
    await this.dispatcher?.close();
  }
}

function fileName(tag: ChunkTag): string {
  return `batchpilot-${tag.jobId}-chunk-${String(tag.chunkNo)}.jsonl`;
}

function toRemoteBatch(batch: Batch): RemoteBatch {
  const resultRefs: Record<string, string> = {};
  if (typeof batch.output_file_id === 'string' && batch.output_file_id !== '') {
    resultRefs['output_file_id'] = batch.output_file_id;
  }
  if (typeof batch.error_file_id === 'string' && batch.error_file_id !== '') {
    resultRefs['error_file_id'] = batch.error_file_id;
  }
  const counts = batch.request_counts ?? { total: 0, completed: 0, failed: 0 };
  return {
    id: batch.id,
    rawStatus: batch.status,
    end: TERMINAL[batch.status] ?? null,
    counts: { total: counts.total, completed: counts.completed, failed: counts.failed },
    errors: (batch.errors?.data ?? []).map((error) => ({
      code: error.code ?? 'batch_error',
      message: error.message ?? 'the provider rejected the batch',
    })),
    resultRefs,
    createdAt: batch.created_at * 1000,
  };
}

interface ResultLine {
  custom_id?: unknown;
  response?: { status_code?: unknown; request_id?: unknown; body?: unknown } | null;
  error?: { code?: unknown; message?: unknown } | null;
}

/** One line of an output or error file, in our terms. A line we cannot read fails only that item (STYLE shape 3). */
export function parseResultLine(text: string, fileId: string): BatchLineResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return unreadableLine(text, `result file ${fileId} has a line that is not JSON: ${text.slice(0, 200)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return unreadableLine(text, `result file ${fileId} has a line that is not an object: ${text.slice(0, 200)}`);
  }
  const line = parsed as ResultLine;
  if (typeof line.custom_id !== 'string') {
    return { customId: null, kind: 'unreadable', reason: `result file ${fileId} has a line without a custom_id` };
  }
  const customId = line.custom_id;
  if (line.error !== null && line.error !== undefined) {
    const code = typeof line.error.code === 'string' ? line.error.code : 'batch_error';
    const message = typeof line.error.message === 'string' ? line.error.message : code;
    if (code === 'batch_expired') return { customId, kind: 'expired' };
    if (code === 'batch_cancelled') return { customId, kind: 'cancelled' };
    return { customId, kind: 'errored', error: { code, message }, failureKind: 'connection' };
  }
  const response = line.response ?? {};
  const status = typeof response.status_code === 'number' ? response.status_code : 0;
  const requestId = typeof response.request_id === 'string' ? response.request_id : null;
  if (status >= 200 && status < 300 && typeof response.body === 'object' && response.body !== null) {
    return {
      customId,
      kind: 'succeeded',
      statusCode: status,
      requestId,
      body: JSON.stringify(response.body),
      usage: convertOpenAIUsage(response.body),
    };
  }
  const detail = (response.body as { error?: { message?: unknown } } | undefined)?.error?.message;
  return {
    customId,
    kind: 'errored',
    error: {
      code: `http_${String(status)}`,
      message: typeof detail === 'string' ? detail : `HTTP ${String(status)}`,
      status,
    },
    failureKind: 'http',
  };
}
