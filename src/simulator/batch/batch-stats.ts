import { createHash } from 'node:crypto';
import type { BatchDialect } from './batch-dialect.ts';

export type CountsByDialect = Record<BatchDialect, number>;

export interface BatchStats {
  /** `POST files` uploads accepted (OpenAI and Zhipu). */
  uploads: number;
  uploadBytes: number;
  batchesCreated: CountsByDialect;
  /**
   * Live: every batch the simulator holds, by the status its wire format shows now, all dialects together. OpenAI and
   * Zhipu use validating, in_progress, finalizing, completed, failed, expired, cancelling, cancelled; Anthropic adds
   * canceling and ended (and shares in_progress).
   */
  batchesByStatus: Record<string, number>;
  /** Lines of accepted batches (OpenAI, Zhipu: non-blank lines of the input file; Anthropic: `requests`). */
  linesSubmitted: number;
  /** Uploads whose content (sha256) equals an earlier upload's in the same dialect. */
  duplicateUploads: number;
  /** Batches created from an input file id already used by an earlier batch, or (Anthropic) the same request set. */
  duplicateBatches: number;
  /** Occurrences of a custom_id that an earlier batch of the same dialect already carried. */
  customIdsResubmitted: number;
  /** Occurrences of a custom_id that an earlier batch of the same dialect had already returned as succeeded. */
  customIdsResubmittedAfterSuccess: number;
  /** Live: estimated tokens of the open batches (see estimate-request-tokens.ts). */
  enqueuedTokens: number;
  /** Batches refused for the enqueued-token limit (OpenAI, Zhipu: failed at validation; Anthropic: 429/400). */
  tokenLimitRejections: number;
}

function createDialectCounts(): CountsByDialect {
  return { openai: 0, zhipu: 0, anthropic: 0 };
}

/**
 * The counters behind `stats().batch`. `batchesByStatus` and `enqueuedTokens` mirror live state, so `reset` keeps
 * them; everything else, including the memory behind the duplicate and resubmission counters, starts again.
 */
export class BatchStatsRecorder {
  uploads = 0;
  uploadBytes = 0;
  batchesCreated = createDialectCounts();
  linesSubmitted = 0;
  duplicateUploads = 0;
  duplicateBatches = 0;
  customIdsResubmitted = 0;
  customIdsResubmittedAfterSuccess = 0;
  enqueuedTokens = 0;
  tokenLimitRejections = 0;
  private readonly byStatus = new Map<string, number>();
  private uploadHashes = new Set<string>();
  private batchInputs = new Set<string>();
  private submittedIds = new Map<BatchDialect, Set<string>>();
  private succeededIds = new Map<BatchDialect, Set<string>>();

  recordUpload(dialect: BatchDialect, content: Buffer): void {
    this.uploads += 1;
    this.uploadBytes += content.length;
    const key = `${dialect}:${createHash('sha256').update(content).digest('hex')}`;
    if (this.uploadHashes.has(key)) this.duplicateUploads += 1;
    else this.uploadHashes.add(key);
  }

  /** `inputKey`: the input file id, or a hash of the Anthropic request set. */
  recordBatchCreated(dialect: BatchDialect, inputKey: string, customIds: readonly string[]): void {
    this.batchesCreated[dialect] += 1;
    this.linesSubmitted += customIds.length;
    const key = `${dialect}:${inputKey}`;
    if (this.batchInputs.has(key)) this.duplicateBatches += 1;
    else this.batchInputs.add(key);
    const submitted = getOrCreate(this.submittedIds, dialect);
    const succeeded = getOrCreate(this.succeededIds, dialect);
    for (const customId of customIds) {
      if (submitted.has(customId)) this.customIdsResubmitted += 1;
      else submitted.add(customId);
      if (succeeded.has(customId)) this.customIdsResubmittedAfterSuccess += 1;
    }
  }

  /** For OpenAI files that fail validation, whose lines are counted without their ids. */
  recordUnreadLines(lineCount: number): void {
    this.linesSubmitted += lineCount;
  }

  recordSucceeded(dialect: BatchDialect, customId: string): void {
    getOrCreate(this.succeededIds, dialect).add(customId);
  }

  /** `from` undefined: a new batch; `to` undefined: a deleted one. */
  recordStatusChange(from: string | undefined, to: string | undefined): void {
    if (from !== undefined) this.byStatus.set(from, (this.byStatus.get(from) ?? 0) - 1);
    if (to !== undefined) this.byStatus.set(to, (this.byStatus.get(to) ?? 0) + 1);
  }

  reset(): void {
    this.uploads = 0;
    this.uploadBytes = 0;
    this.batchesCreated = createDialectCounts();
    this.linesSubmitted = 0;
    this.duplicateUploads = 0;
    this.duplicateBatches = 0;
    this.customIdsResubmitted = 0;
    this.customIdsResubmittedAfterSuccess = 0;
    this.tokenLimitRejections = 0;
    this.uploadHashes = new Set();
    this.batchInputs = new Set();
    this.submittedIds = new Map();
    this.succeededIds = new Map();
  }

  snapshot(): BatchStats {
    const batchesByStatus: Record<string, number> = {};
    for (const [status, count] of this.byStatus) if (count > 0) batchesByStatus[status] = count;
    return {
      uploads: this.uploads,
      uploadBytes: this.uploadBytes,
      batchesCreated: { ...this.batchesCreated },
      batchesByStatus,
      linesSubmitted: this.linesSubmitted,
      duplicateUploads: this.duplicateUploads,
      duplicateBatches: this.duplicateBatches,
      customIdsResubmitted: this.customIdsResubmitted,
      customIdsResubmittedAfterSuccess: this.customIdsResubmittedAfterSuccess,
      enqueuedTokens: this.enqueuedTokens,
      tokenLimitRejections: this.tokenLimitRejections,
    };
  }
}

function getOrCreate(map: Map<BatchDialect, Set<string>>, dialect: BatchDialect): Set<string> {
  let set = map.get(dialect);
  if (set === undefined) {
    set = new Set();
    map.set(dialect, set);
  }
  return set;
}
