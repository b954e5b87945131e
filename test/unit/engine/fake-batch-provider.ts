import { readFile } from 'node:fs/promises';
import type { PreparedRequest } from '../../../src/core/item.ts';
import { ProviderError } from '../../../src/errors/index.ts';
import type {
  BatchLimits,
  BatchLineResult,
  BatchProvider,
  ChunkTag,
  RemoteBatch,
} from '../../../src/providers/provider.ts';

/**
 * An in-memory `BatchProvider`: every batch ends at its first poll, and each line succeeds with `{"answer": <id>}`.
 * Tests change what a download sees through `resultLines` (the text of each result line, as a provider would send
 * it) and `gone` (result file ids the provider no longer has: reading them is a 404).
 */
export class FakeBatchProvider implements BatchProvider {
  readonly name = 'fake-batch';
  readonly limits: BatchLimits = { maxRequests: 1000, maxBytes: 10_000_000, oneModelPerBatch: false };
  readonly discount = 0.5;
  readonly usesFiles = true;
  /** Result file ids that are gone; `readResults` on one of them throws a 404. */
  readonly gone = new Set<string>();
  /** Downloads started, per result file id. */
  readonly downloads = new Map<string, number>();
  /** Batches created, in order. */
  readonly created: string[] = [];
  /** Rewrites the result lines of a batch (its number, from 1) before they are read. */
  resultLines: (batchNo: number, lines: string[]) => string[] = (_batchNo, lines) => lines;
  /** Called with every result line; the default reads it as OpenAI batch output does. */
  parseLine: (text: string) => BatchLineResult;
  /** What `getBatch` answers for a batch after its first poll; tests may point it at another result file. */
  readonly outputFileOf = new Map<string, string>();

  private readonly files = new Map<string, string[]>();
  private readonly batches = new Map<string, { no: number; remoteIds: string[] }>();

  constructor(parseLine: (text: string) => BatchLineResult) {
    this.parseLine = parseLine;
  }

  remoteId(customId: string): string {
    return customId;
  }

  encodeLine(remoteId: string, request: PreparedRequest): string {
    return JSON.stringify({
      custom_id: remoteId,
      method: 'POST',
      url: request.url,
      body: JSON.parse(request.body) as unknown,
    });
  }

  async upload(tag: ChunkTag, path: string): Promise<string> {
    const id = `file-${tag.jobId}-${String(tag.chunkNo)}-${String(this.files.size)}`;
    this.files.set(
      id,
      (await readFile(path, 'utf8')).split('\n').filter((line) => line !== ''),
    );
    return id;
  }

  findUpload(): Promise<string | null> {
    return Promise.resolve(null);
  }

  createBatch(_tag: ChunkTag, input: { fileId: string | null }): Promise<RemoteBatch> {
    const lines = this.files.get(input.fileId ?? '') ?? [];
    const id = `batch-${String(this.batches.size + 1)}`;
    this.batches.set(id, {
      no: this.batches.size + 1,
      remoteIds: lines.map((line) => (JSON.parse(line) as { custom_id: string }).custom_id),
    });
    this.created.push(id);
    this.outputFileOf.set(id, `out-${id}`);
    return Promise.resolve(this.describe(id, null));
  }

  findBatch(): Promise<RemoteBatch | null> {
    return Promise.resolve(null);
  }

  getBatch(batchId: string): Promise<RemoteBatch> {
    if (!this.batches.has(batchId)) {
      return Promise.reject(ProviderError.generate(404, `polling ${batchId}: HTTP 404: No such Batch object`, {}));
    }
    return Promise.resolve(this.describe(batchId, 'completed'));
  }

  cancelBatch(batchId: string): Promise<RemoteBatch> {
    return Promise.resolve(this.describe(batchId, 'cancelled'));
  }

  async *readResults(batch: RemoteBatch): AsyncIterable<BatchLineResult> {
    const fileId = batch.resultRefs['output_file_id'] ?? '';
    this.downloads.set(fileId, (this.downloads.get(fileId) ?? 0) + 1);
    if (this.gone.has(fileId)) {
      throw ProviderError.generate(404, `downloading ${fileId}: HTTP 404: No such File object: ${fileId}`, {});
    }
    const remote = this.batches.get(batch.id);
    if (remote === undefined) return;
    const lines = remote.remoteIds.map((id) =>
      JSON.stringify({
        id: `res-${id}`,
        custom_id: id,
        response: { status_code: 200, request_id: `req-${id}`, body: { answer: id } },
        error: null,
      }),
    );
    for (const text of this.resultLines(remote.no, lines)) {
      await Promise.resolve();
      yield this.parseLine(text);
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private describe(id: string, end: 'completed' | 'cancelled' | null): RemoteBatch {
    const remote = this.batches.get(id);
    const total = remote?.remoteIds.length ?? 0;
    return {
      id,
      rawStatus: end ?? 'in_progress',
      end,
      counts: { total, completed: end === 'completed' ? total : 0, failed: 0 },
      errors: [],
      resultRefs: end === 'completed' ? { output_file_id: this.outputFileOf.get(id) ?? '' } : {},
      createdAt: 0,
    };
  }
}
