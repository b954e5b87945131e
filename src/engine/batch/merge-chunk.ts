import type { Attempt } from '../../core/attempt.ts';
import type { Chunk } from '../../core/chunk.ts';
import type { ItemCheck, ItemError } from '../../core/item.ts';
import type { BatchLineResult, BatchProvider, RemoteBatch } from '../../providers/provider.ts';
import { TOKEN_LIMIT_ERROR } from '../../providers/provider.ts';
import type { ChunkLineOutcome, ChunkStore, CloseChunkResult, OpenItem } from '../../store/store.ts';
import { checkAnswer, wantsReask, type AnswerReview } from '../answer-review.ts';
import { crashPoint } from '../../util/crash-point.ts';
import { decideRetry, type RetrySettings } from '../retry-policy.ts';

export interface MergeChunkOptions {
  store: ChunkStore;
  provider: BatchProvider;
  chunk: Chunk;
  retry: RetrySettings;
  /** The job is being cancelled: nothing is resubmitted, lines without a result become missing. */
  cancelling: boolean;
  now: () => number;
  /** The cost of one answer body, with `limits.budget_usd`; the summary's `costUsd` adds them up. */
  answerCost?: (body: string) => number;
  /** Checks each answer; one it wants asked again goes back to pending for a re-ask wave (docs/decisions/0019). */
  review?: AnswerReview | undefined;
}

export interface MergeSummary extends CloseChunkResult {
  succeeded: number;
  /** Answers merged now that are asked again (with an answer review): pending for a later wave. */
  reasked: number;
  /** Lines that failed for good. */
  lineFailures: number;
  /** Lines that failed, expired or were cancelled, and go into a new chunk. */
  lineResubmits: number;
  /** The whole batch failed because too many tokens were enqueued: no attempt was counted. */
  tokenLimited: boolean;
  /** What the answers merged now cost (0 without `answerCost`). */
  costUsd: number;
  /** Result lines that could not be read, and why the first of them could not. */
  unreadable: { lines: number; first: string | null };
}

/** An open item's id was found on a result line that could not be read. */
const UNREADABLE_RESULT = 'batch_result_unreadable';

const COMMIT_LINES = 1000;

/**
 * Streams an ended chunk's results into the store, matched by `custom_id` (never by
 * position), then closes the chunk: every item of it that got no result is resubmitted,
 * failed once out of attempts, or cancelled. Running it again after a crash half-way only
 * merges what is still open.
 */
export async function mergeChunk(options: MergeChunkOptions): Promise<MergeSummary> {
  const { store, provider, chunk } = options;
  const open = new Map<string, OpenItem>();
  for await (const item of store.chunkItems(chunk.jobId, chunk.chunkNo)) {
    open.set(provider.remoteId(item.customId, item.seq), item);
  }
  const summary: MergeSummary = {
    succeeded: 0,
    reasked: 0,
    lineFailures: 0,
    lineResubmits: 0,
    resubmitted: 0,
    failed: 0,
    cancelled: 0,
    tokenLimited: false,
    costUsd: 0,
    unreadable: { lines: 0, first: null },
  };
  const startedAt = chunk.submittedAt ?? chunk.createdAt;
  const endedAt = chunk.endedAt ?? options.now();
  let pending: ChunkLineOutcome[] = [];
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    await store.mergeChunkResults(chunk.jobId, chunk.chunkNo, pending);
    pending = [];
    crashPoint('mid-download');
  };

  if (open.size > 0 && chunk.batchId !== null) {
    for await (const line of provider.readResults(toRemote(chunk))) {
      if (line.kind === 'unreadable') {
        summary.unreadable.lines += 1;
        summary.unreadable.first ??= line.reason;
      }
      if (line.customId === null) continue;
      const item = open.get(line.customId);
      // Unknown ids and second lines for the same id change nothing.
      if (item === undefined) continue;
      open.delete(line.customId);
      const outcome = toOutcome(line, item, { startedAt, endedAt }, options);
      if (outcome === null) continue;
      if (outcome.state === 'succeeded' || outcome.state === 'reask') {
        if (outcome.state === 'succeeded') summary.succeeded += 1;
        else summary.reasked += 1;
        summary.costUsd += options.answerCost?.(outcome.body) ?? 0;
      } else if (outcome.state === 'failed') summary.lineFailures += 1;
      else summary.lineResubmits += 1;
      pending.push(outcome);
      if (pending.length >= COMMIT_LINES) await flush();
    }
  }
  await flush();

  crashPoint('before-close');
  const tokenLimited = chunk.end === 'failed' && chunk.errors.some((error) => error.code === TOKEN_LIMIT_ERROR);
  summary.tokenLimited = tokenLimited;
  const closed = await closeChunkLeftovers(options, leftoverError(chunk), !tokenLimited);
  return { ...summary, ...closed };
}

/**
 * Closes a chunk whose results cannot be had (the batch or its result file is gone): every line still open goes back
 * for a new chunk with `error`, an attempt counted, so after `retry.max_attempts` the item fails with that reason
 * instead of being sent for ever. Lines merged before (a crash mid-download) keep their results.
 */
export async function closeChunkWithoutResults(options: MergeChunkOptions, error: ItemError): Promise<MergeSummary> {
  const closed = await closeChunkLeftovers(options, error, true);
  return {
    succeeded: 0,
    reasked: 0,
    lineFailures: 0,
    lineResubmits: 0,
    tokenLimited: false,
    costUsd: 0,
    unreadable: { lines: 0, first: null },
    ...closed,
  };
}

function closeChunkLeftovers(
  options: MergeChunkOptions,
  error: ItemError,
  countAttempt: boolean,
): Promise<CloseChunkResult> {
  const { chunk } = options;
  return options.store.closeChunk(
    chunk.jobId,
    chunk.chunkNo,
    options.cancelling
      ? { kind: 'cancel', now: options.now() }
      : { kind: 'resubmit', countAttempt, maxAttempts: options.retry.maxAttempts, error, now: options.now() },
  );
}

function toOutcome(
  line: BatchLineResult,
  item: OpenItem,
  times: { startedAt: number; endedAt: number },
  options: MergeChunkOptions,
): ChunkLineOutcome | null {
  const attemptNo = item.attempts + 1;
  // A re-ask has retries of its own: each re-ask made used up at least one attempt (docs/decisions/0019).
  const countedNo = Math.max(1, attemptNo - (item.reasks ?? 0));
  const attempt: Attempt = {
    seq: item.seq,
    attempt: attemptNo,
    startedAt: times.startedAt,
    latencyMs: Math.max(0, times.endedAt - times.startedAt),
    statusCode: null,
    outcome: 'ok',
    inputTokens: null,
    outputTokens: null,
  };
  if (line.kind === 'succeeded') {
    const answered: Attempt = {
      ...attempt,
      statusCode: line.statusCode,
      inputTokens: line.usage?.inputTokens ?? null,
      outputTokens: line.usage?.outputTokens ?? null,
    };
    const { statusCode, requestId, body } = line;
    const { review } = options;
    let check: ItemCheck | undefined;
    if (review !== undefined) {
      const reasks = item.reasks ?? 0;
      const reviewed = { customId: item.customId, seq: item.seq, reasks };
      check = checkAnswer(review, reviewed, body);
      answered.reask = reasks;
      answered.check = check.status;
      // The re-ask request is built when its wave's chunk file is written (plan-chunk.ts `readItemRequests`).
      if (!options.cancelling && wantsReask(review, reviewed, check)) {
        return { state: 'reask', reasks: reasks + 1, statusCode, requestId, body, check, attempt: answered };
      }
    }
    return {
      state: 'succeeded',
      statusCode,
      requestId,
      body,
      completedAt: times.endedAt,
      attempt: answered,
      ...(check === undefined ? {} : { check }),
    };
  }
  if (line.kind === 'errored' || line.kind === 'unreadable') {
    const { error, failureKind } =
      line.kind === 'errored'
        ? line
        : {
            error: { code: UNREADABLE_RESULT, message: `its result line could not be read: ${line.reason}` },
            failureKind: 'malformed' as const,
          };
    const failed = { ...attempt, statusCode: error.status ?? null, outcome: error.code };
    const decision = decideRetry({ kind: failureKind, status: error.status }, countedNo, options.retry, () => 0);
    if (decision.kind === 'retry' && !options.cancelling) return { state: 'pending', error, attempt: failed };
    const reason = decision.kind === 'retry' ? 'abort' : decision.reason;
    return { state: 'failed', error: { ...error, reason }, completedAt: times.endedAt, attempt: failed };
  }
  // Cancelled by our own `cancel JOB`: left open, so closing the chunk records it as missing.
  if (options.cancelling) return null;
  const error: ItemError = {
    code: line.kind === 'expired' ? 'batch_expired' : 'batch_cancelled',
    message: line.kind === 'expired' ? 'the batch expired before this line ran' : 'the batch was cancelled',
  };
  const failed = { ...attempt, outcome: error.code };
  if (countedNo < options.retry.maxAttempts) return { state: 'pending', error, attempt: failed };
  return {
    state: 'failed',
    error: { ...error, reason: 'maxRetriesExceeded' },
    completedAt: times.endedAt,
    attempt: failed,
  };
}

function leftoverError(chunk: Chunk): ItemError {
  const first = chunk.errors[0];
  if (chunk.end === 'failed' && first !== undefined) {
    return { code: `batch_${first.code}`, message: `the batch failed: ${first.message}` };
  }
  return {
    code: 'batch_no_result',
    message: `batch ${chunk.batchId ?? '?'} ended (${chunk.rawStatus ?? 'unknown'}) without a result for this line`,
  };
}

function toRemote(chunk: Chunk): RemoteBatch {
  return {
    id: chunk.batchId ?? '',
    rawStatus: chunk.rawStatus ?? '',
    end: chunk.end,
    counts: chunk.counts ?? { total: 0, completed: 0, failed: 0 },
    errors: chunk.errors,
    resultRefs: chunk.resultRefs ?? {},
    createdAt: chunk.submittedAt ?? chunk.createdAt,
  };
}
