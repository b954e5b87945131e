/* eslint-disable @typescript-eslint/require-await -- an in-memory fake of an asynchronous contract */
import { readFile } from 'node:fs/promises';
import type { ChunkEnd } from '../../../../src/core/chunk.ts';
import type { PreparedRequest } from '../../../../src/core/item.ts';
import { ProviderError } from '../../../../src/errors/index.ts';
import type {
  BatchInput,
  BatchLimits,
  BatchLineResult,
  BatchProvider,
  ChunkTag,
  EncodedLine,
  RemoteBatch,
} from '../../../../src/providers/provider.ts';

/**
 * An in-memory `BatchProvider` for the batch engine's unit tests: files and batches live in maps, a batch ends after
 * `pollsToEnd` polls, and each line's result comes from `lineResult` (default: succeeded, the answer naming the
 * line). Remote steps can be made to fail with `failNext(step, error)`, as a network or server fault would, before
 * anything is stored remotely. Everything it was asked is counted, so a test can check that nothing was paid twice.
 * A download can be made to fail as a provider's would: a result file in `gone` is a 404, and with `parseLine` the
 * results pass through their text (rewritten by `resultLines`), so a line can arrive cut short or not as JSON.
 */

export type RemoteStep = 'upload' | 'createBatch' | 'getBatch' | 'cancelBatch' | 'readResults';

export interface FakeLine {
  customId: string;
  model: string | null;
  url: string;
  bytes: number;
}

interface FakeBatch {
  id: string;
  /** Its number among the batches created, from 1. */
  no: number;
  tag: ChunkTag;
  lines: FakeLine[];
  polls: number;
  end: ChunkEnd | null;
  errors: { code: string; message: string }[];
  createdAt: number;
}

export interface FakeBatchProviderOptions {
  limits?: Partial<BatchLimits>;
  /** Polls of `getBatch` before a batch ends. @default 1 */
  pollsToEnd?: number;
  /** The result of a line the `n`th time (from 1) it is sent; undefined: succeeded. */
  lineResult?: (customId: string, n: number) => BatchLineResult | undefined;
  /** Whole-batch errors for the `n`th batch created (from 1); non-empty: the batch ends failed. */
  batchErrors?: (n: number) => { code: string; message: string }[];
  /**
   * Reads every result line from its text: each line is written as OpenAI batch output of a succeeded answer, passed
   * through `resultLines`, then given to `parseLine` (`lineResult` is not used then).
   */
  parseLine?: (text: string) => BatchLineResult;
  /** Rewrites the result lines of the `batchNo`th batch (from 1) before they are read; only with `parseLine`. */
  resultLines?: (batchNo: number, lines: string[]) => string[];
}

export class FakeBatchProvider implements BatchProvider {
  readonly name = 'fake';
  readonly limits: BatchLimits;

  readonly files = new Map<string, { tag: ChunkTag; lines: FakeLine[] }>();
  readonly batches = new Map<string, FakeBatch>();
  /** Calls per step, failed ones included. */
  readonly calls: Record<RemoteStep, number> = {
    upload: 0,
    createBatch: 0,
    getBatch: 0,
    cancelBatch: 0,
    readResults: 0,
  };
  /** How often each custom_id was sent in a batch. */
  readonly sent = new Map<string, number>();
  /** Result file ids that are gone; `readResults` on one of them throws a 404. */
  readonly gone = new Set<string>();
  /** Downloads started, per result file id. */
  readonly downloads = new Map<string, number>();
  /** The result file a batch names (default `out-<batch id>`); a test may point it at another. */
  readonly outputFileOf = new Map<string, string>();

  private readonly failures: Partial<Record<RemoteStep, ProviderError[]>> = {};
  private readonly options: FakeBatchProviderOptions;
  private nextFileId = 1;

  constructor(options: FakeBatchProviderOptions = {}) {
    this.options = options;
    this.limits = { maxRequests: 50_000, maxBytes: 200_000_000, oneModelPerBatch: false, ...options.limits };
  }

  /** The next call of `step` throws `error` (queued: call again for several). */
  failNext(step: RemoteStep, error: ProviderError): void {
    (this.failures[step] ??= []).push(error);
  }

  private enter(step: RemoteStep): void {
    this.calls[step] += 1;
    const error = this.failures[step]?.shift();
    if (error !== undefined) throw error;
  }

  remoteId(customId: string): string {
    return customId;
  }

  encodeLine(remoteId: string, request: PreparedRequest): EncodedLine {
    const line = JSON.stringify({
      custom_id: remoteId,
      method: 'POST',
      url: request.url,
      body: JSON.parse(request.body) as unknown,
    });
    return { line, notices: [] };
  }

  async prepareInput(tag: ChunkTag, path: string): Promise<BatchInput> {
    this.enter('upload');
    const lines = (await readFile(path, 'utf8'))
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const parsed = JSON.parse(line) as { custom_id: string; url: string; body: { model?: string } };
        return {
          customId: parsed.custom_id,
          url: parsed.url,
          model: parsed.body.model ?? null,
          bytes: line.length + 1,
        };
      });
    const id = `file-${String(this.nextFileId++)}`;
    this.files.set(id, { tag, lines });
    return { kind: 'file', fileId: id };
  }

  async findUpload(tag: ChunkTag): Promise<string | null> {
    for (const [id, file] of this.files) if (sameTag(file.tag, tag)) return id;
    return null;
  }

  async createBatch(tag: ChunkTag, input: BatchInput): Promise<RemoteBatch> {
    this.enter('createBatch');
    const file = input.kind === 'file' ? this.files.get(input.fileId) : undefined;
    if (file === undefined) throw ProviderError.generate(404, 'no such file', {});
    const no = this.batches.size + 1;
    const id = `batch-${String(no)}`;
    const errors = this.options.batchErrors?.(no) ?? [];
    const batch: FakeBatch = { id, no, tag, lines: file.lines, polls: 0, end: null, errors, createdAt: Date.now() };
    this.batches.set(id, batch);
    for (const line of file.lines) this.sent.set(line.customId, (this.sent.get(line.customId) ?? 0) + 1);
    return this.toRemote(batch);
  }

  async findBatch(tag: ChunkTag, options: { claimed: ReadonlySet<string> }): Promise<RemoteBatch | null> {
    for (const batch of this.batches.values()) {
      if (sameTag(batch.tag, tag) && !options.claimed.has(batch.id)) return this.toRemote(batch);
    }
    return null;
  }

  async getBatch(batchId: string): Promise<RemoteBatch> {
    this.enter('getBatch');
    const batch = this.batch(batchId);
    batch.polls += 1;
    if (batch.end === null && batch.polls >= (this.options.pollsToEnd ?? 1)) {
      batch.end = batch.errors.length > 0 ? 'failed' : 'completed';
    }
    return this.toRemote(batch);
  }

  async cancelBatch(batchId: string): Promise<RemoteBatch> {
    this.enter('cancelBatch');
    const batch = this.batch(batchId);
    batch.end ??= 'cancelled';
    return this.toRemote(batch);
  }

  async *readResults(remote: RemoteBatch): AsyncIterable<BatchLineResult> {
    this.enter('readResults');
    const fileId = remote.resultRefs['output_file_id'] ?? '';
    this.downloads.set(fileId, (this.downloads.get(fileId) ?? 0) + 1);
    if (this.gone.has(fileId)) {
      throw ProviderError.generate(404, `downloading ${fileId}: HTTP 404: No such File object: ${fileId}`, {});
    }
    const batch = this.batch(remote.id);
    if (batch.end !== 'completed') return;
    const { parseLine, resultLines = (_batchNo, lines) => lines } = this.options;
    if (parseLine !== undefined) {
      for (const text of resultLines(
        batch.no,
        batch.lines.map((line) => resultText(line.customId)),
      )) {
        yield parseLine(text);
      }
      return;
    }
    for (const line of batch.lines) {
      const n = this.sent.get(line.customId) ?? 1;
      yield this.options.lineResult?.(line.customId, n) ?? succeeded(line.customId);
    }
  }

  async close(): Promise<void> {}

  /** The ids of every batch created, in order. */
  get created(): string[] {
    return [...this.batches.keys()];
  }

  /** The lines of every batch created, in order. */
  batchLines(): FakeLine[][] {
    return [...this.batches.values()].map((batch) => batch.lines);
  }

  private batch(batchId: string): FakeBatch {
    const batch = this.batches.get(batchId);
    if (batch === undefined)
      throw ProviderError.generate(404, `polling ${batchId}: HTTP 404: No such Batch object`, {});
    return batch;
  }

  private toRemote(batch: FakeBatch): RemoteBatch {
    const total = batch.lines.length;
    return {
      id: batch.id,
      rawStatus: batch.end ?? 'in_progress',
      end: batch.end,
      counts: { total, completed: batch.end === 'completed' ? total : 0, failed: 0 },
      errors: batch.errors,
      resultRefs: { output_file_id: this.outputFileOf.get(batch.id) ?? `out-${batch.id}` },
      createdAt: batch.createdAt,
    };
  }
}

export function succeeded(customId: string): Extract<BatchLineResult, { kind: 'succeeded' }> {
  return {
    customId,
    kind: 'succeeded',
    statusCode: 200,
    requestId: null,
    body: JSON.stringify({
      model: 'sim-model',
      answer: `to ${customId}`,
      usage: { prompt_tokens: 10, completion_tokens: 10 },
    }),
    usage: { inputTokens: 10, outputTokens: 10 },
  };
}

function sameTag(a: ChunkTag, b: ChunkTag): boolean {
  return a.jobId === b.jobId && a.chunkNo === b.chunkNo;
}

/** The line OpenAI's batch output holds for a succeeded answer to `customId`. */
function resultText(customId: string): string {
  const result = succeeded(customId);
  return JSON.stringify({
    id: `res-${customId}`,
    custom_id: customId,
    response: { status_code: 200, request_id: `req-${customId}`, body: JSON.parse(result.body) as unknown },
    error: null,
  });
}
