import { setMaxListeners } from 'node:events';
import type { Attempt } from '../core/attempt.ts';
import type { ItemCheck, ItemError, ItemLocation, PreparedRequest } from '../core/item.ts';
import { ProviderError } from '../errors/index.ts';
import type { ProviderResponse, RealtimeProvider } from '../providers/provider.ts';
import type { ItemStore, ItemUpdate } from '../store/store.ts';
import { costUsd, type ModelPrice } from '../plan/price-table.ts';
import type { Clock } from '../util/clock.ts';
import { answerText, checkAnswer, nextReask, type AnswerReview } from './answer-review.ts';
import { CommitQueue, type CommitWaiter } from './commit-queue.ts';
import { isOverloadStatus } from './rate-limiter.ts';
import type { RequestPacer } from './request-pacer.ts';
import { decideRetry, type RetryInput, type RetrySettings } from './retry-policy.ts';
import { FailureShare } from './failure-share.ts';
import type { OutageWatch } from './outage-watch.ts';
import type { RequestSlots } from './slot-pool.ts';
import type { ItemOutcome } from './admission-policy.ts';
import type { SendHold } from './send-hold.ts';
import type { SpendGuard } from './spend-guard.ts';

/** What of an answer the engine uses: the store keeps all of it but `parsed`, which the answer's check reads. */
type Answer = Pick<ProviderResponse, 'statusCode' | 'requestId' | 'body' | 'parsed'>;

export interface DispatchItem {
  location: ItemLocation;
  request: PreparedRequest;
  /** Attempts already made (in earlier runs too). */
  attempts: number;
  tokens: number;
  /** Estimated cost in USD, reserved against `budget` while the request is out. */
  costUsd?: number;
  /** The price of the item's model, to turn its `usage` into a cost. */
  price?: ModelPrice | null;
  /** Overload answers (429, 503, 529) this item met in this run; see FREE_RATE_LIMIT_RETRIES. */
  rateLimited?: number;
  /** Tries this item made in this run while the whole endpoint was out (see `OutageWatch`); they use up no attempt. */
  outageTries?: number;
  /** Re-asks already made of it (docs/decisions/0019); `request` is then the re-ask's. */
  reasks?: number;
  /** With `reasks > 0`: the request of its line, which every re-ask is built from. */
  original?: PreparedRequest;
  /** Attempts made before its current re-ask: a re-ask gets the retries of a fresh request. */
  reaskBase?: number;
}

/**
 * A 429 (or a 503/529 "overloaded") means "wait", not "this request is broken": up to this
 * many per item do not use up `retry.max_attempts`. Otherwise a job against a rate-limited
 * endpoint loses items for no fault of theirs (the failure mode of retry-429-at-once scripts).
 */
export const FREE_RATE_LIMIT_RETRIES = 32;

export interface DispatcherOptions {
  jobId: string;
  store: ItemStore;
  provider: RealtimeProvider;
  /** Paces sending: `rate_limit.*`, overload answers, server hints (this process's `RateLimiter`, or a shared one). */
  limiter: RequestPacer;
  clock: Clock;
  concurrency: number;
  timeoutMs: number;
  retry: RetrySettings;
  /** Called once when an error means no request can succeed (401/403). */
  onFatal: (error: ProviderError) => void;
  /**
   * A budget shared with other jobs (the background scheduler's `scheduler.max_concurrency`):
   * a slot is taken before each send and given back once its outcome is committed. Unset:
   * only `concurrency` bounds the pool.
   */
  slots?: RequestSlots | undefined;
  /** Where outcomes wait for their group commit: the scheduler's, shared by its jobs; one of its own when unset. */
  commits?: CommitQueue | undefined;
  /** `limits.budget_usd`: no new request once it would be passed (this process's `BudgetGuard`, or a shared one). */
  budget?: SpendGuard | undefined;
  /** Told once when the budget refuses a request; the job then stops taking new work. */
  onBudgetReached?: () => void;
  /**
   * Checks every answer and asks again for those not valid (docs/decisions/0019). Unset: an answer is
   * committed as it came, with no work per answer.
   */
  review?: AnswerReview | undefined;
  /** Tells an outage of the whole endpoint from failures of single items (see `OutageWatch`). */
  outage?: OutageWatch | undefined;
  /** Called when the endpoint has been unreachable for the watch's whole wait: the job should stop. */
  onOutage?: (error: ProviderError) => void;
  random?: () => number;
  /** Told each item's final outcome in this run as it is handed to the commit (admission by need counts them). */
  onSettled?: ((outcome: ItemOutcome) => void) | undefined;
  /** While it holds, no request starts (a sink that is down; see `SendHold`). */
  hold?: SendHold | undefined;
  /**
   * Awaited before each request goes out (a worker's attempt ledger, docs/decisions/0031). A rejection is a store
   * that cannot record: the request is not sent and the dispatcher stops, as when a commit fails.
   */
  beforeSend?: ((seq: number, attempt: number) => Promise<void>) | undefined;
}

export interface DispatcherCounters {
  succeeded: number;
  failed: number;
  retries: number;
  inFlight: number;
  waitingRetry: number;
  queued: number;
  /** Answers asked again in this run (with an answer review). */
  reasks?: number;
  /** Items ended unsent in this run: their group had reached its target (admission by need). */
  skipped?: number;
}

/**
 * The realtime pool. A request holds its slot from send until its outcome is committed to
 * the store, so at any moment at most `concurrency` requests are sent-but-not-committed:
 * a kill -9 can cost at most that many repeated requests. Outcomes that arrive in the same
 * turn of the event loop are committed together (group commit).
 *
 * Items that wait for a retry do not hold a slot; they come back to the front of the queue.
 */
export class RealtimeDispatcher {
  readonly counters: DispatcherCounters = {
    succeeded: 0,
    failed: 0,
    retries: 0,
    inFlight: 0,
    waitingRetry: 0,
    queued: 0,
  };
  private readonly options: DispatcherOptions;
  private readonly random: () => number;
  /** Whether a failure now is scattered (the endpoint healthy) or the endpoint is struggling. */
  private readonly failureShare: FailureShare;
  private queue: DispatchItem[] = [];
  private queueHead = 0;
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private pumpTimer: NodeJS.Timeout | undefined;
  private readonly commits: CommitQueue;
  private readonly commitWaiter: CommitWaiter = {
    onCommitted: (slots, error) => this.onCommitted(slots, error),
  };
  private stopped = false;
  /** A `hold` is waited on once however often the pump meets it. */
  private awaitingRelease = false;
  private readonly hardAbort = new AbortController();
  private idleWaiters: (() => void)[] = [];
  private spaceWaiters: (() => void)[] = [];
  private commitError: Error | undefined;
  /** Called back by `slots` when a refused slot may be free. */
  private readonly onSlotAvailable = (): void => this.pump();

  constructor(options: DispatcherOptions) {
    this.options = options;
    // Every in-flight request listens on this one signal.
    setMaxListeners(0, this.hardAbort.signal);
    this.random = options.random ?? Math.random;
    this.failureShare = new FailureShare(options.clock.now());
    this.commits = options.commits ?? new CommitQueue(options.store);
  }

  /** The number of queued items below which the reader may add more. */
  get window(): number {
    return this.options.concurrency * 2;
  }

  push(item: DispatchItem): void {
    this.queue.push(item);
    this.counters.queued += 1;
    this.pump();
  }

  /** Backpressure: resolves when the queue has room (STYLE guideline 8). */
  async waitForSpace(): Promise<void> {
    this.throwIfCommitFailed();
    if (this.hasSpace() || this.stopped) return;
    await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
    this.throwIfCommitFailed();
  }

  /** Resolves when nothing is queued, in flight, waiting for a retry or uncommitted. */
  async whenIdle(): Promise<void> {
    if (!this.isIdle()) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    this.throwIfCommitFailed();
  }

  /**
   * Stop taking new work. Items waiting for a retry stay `retry_wait` in the store and
   * queued items stay `pending`: both are sent on resume. In-flight requests go on
   * until `abortInFlight` or their end.
   */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    this.counters.waitingRetry = 0;
    if (this.pumpTimer !== undefined) clearTimeout(this.pumpTimer);
    this.queue = [];
    this.queueHead = 0;
    this.counters.queued = 0;
    this.wakeSpaceWaiters();
    this.checkIdle();
  }

  /** Items the feed ended unsent (admission by need), counted with the settled ones. */
  recordSkipped(count: number): void {
    this.counters.skipped = (this.counters.skipped ?? 0) + count;
  }

  abortInFlight(): void {
    this.hardAbort.abort();
  }

  private hasSpace(): boolean {
    return (
      this.queue.length - this.queueHead < this.window &&
      this.counters.waitingRetry < this.options.concurrency * 8 + 1000
    );
  }

  private isIdle(): boolean {
    return this.counters.queued === 0 && this.counters.inFlight === 0 && this.counters.waitingRetry === 0;
  }

  private pump(): void {
    while (!this.stopped && this.counters.inFlight < this.options.concurrency && this.queueHead < this.queue.length) {
      // The endpoint is down: one request at a time probes it until one gets an answer.
      if (this.options.outage?.isPaused === true && this.counters.inFlight > 0) break;
      if (this.options.hold?.isHeld === true) {
        this.waitForRelease();
        break;
      }
      const item = this.queue[this.queueHead];
      if (item === undefined) break;
      const { slots } = this.options;
      if (slots !== undefined && !slots.tryAcquire(this.onSlotAvailable)) break;
      const { budget } = this.options;
      const admission = budget?.admit(item.costUsd ?? 0);
      if (admission !== undefined && admission.kind !== 'reserved') {
        slots?.release(1);
        if (admission.kind === 'wait') this.pumpAfter(admission.ms);
        else this.options.onBudgetReached?.();
        return;
      }
      const wait = this.options.limiter.tryAcquire(item.tokens);
      if (wait > 0) {
        slots?.release(1);
        budget?.release(item.costUsd ?? 0);
        this.pumpAfter(wait);
        return;
      }
      this.queue[this.queueHead] = undefined as unknown as DispatchItem;
      this.queueHead += 1;
      this.counters.queued -= 1;
      if (this.queueHead > 4096 && this.queueHead * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.queueHead);
        this.queueHead = 0;
      }
      this.counters.inFlight += 1;
      void this.execute(item);
    }
    if (this.hasSpace()) this.wakeSpaceWaiters();
  }

  /** One timer at a time: a pump that waits already will ask again. */
  private pumpAfter(ms: number): void {
    if (this.pumpTimer !== undefined) return;
    this.pumpTimer = setTimeout(() => {
      this.pumpTimer = undefined;
      this.pump();
    }, ms);
  }

  private waitForRelease(): void {
    if (this.awaitingRelease) return;
    this.awaitingRelease = true;
    this.options.hold?.whenReleased(() => {
      this.awaitingRelease = false;
      this.pump();
    });
  }

  private async execute(item: DispatchItem): Promise<void> {
    const { clock, provider, timeoutMs, limiter } = this.options;
    const attempt = item.attempts + 1;
    const startedAt = clock.now();
    const seq = item.location.seq;
    if (this.options.beforeSend !== undefined) {
      try {
        await this.options.beforeSend(seq, attempt);
      } catch (error) {
        this.onCommitted(0, error instanceof Error ? error : new Error(String(error)));
        limiter.release(item.tokens);
        this.options.budget?.release(item.costUsd ?? 0);
        this.enqueueCommit(null, null);
        return;
      }
      // Stopped hard while the ledger wrote (a worker lost the slice): not sent after all.
      if (this.hardAbort.signal.aborted) {
        limiter.release(item.tokens);
        this.options.budget?.release(item.costUsd ?? 0);
        this.enqueueCommit(null, null);
        return;
      }
    }
    try {
      const response = await provider.send(item.request, {
        timeoutMs,
        signal: this.hardAbort.signal,
        item: { customId: item.location.customId, seq, attempt },
      });
      const latencyMs = clock.now() - startedAt;
      this.options.outage?.recordAnswer();
      this.failureShare.recordSuccess(clock.now());
      const usedTokens = response.usage === null ? 0 : response.usage.inputTokens + response.usage.outputTokens;
      limiter.recordSuccess(startedAt, response.rateLimit, usedTokens);
      if (this.options.budget !== undefined) {
        const estimate = item.costUsd ?? 0;
        const { usage } = response;
        const price = item.price ?? null;
        const actual =
          price === null || usage === null ? estimate : costUsd(price, usage.inputTokens, usage.outputTokens);
        this.options.budget.settle(estimate, actual);
      }
      if (response.usage !== null && limiter.tracksTokens) limiter.settleTokens(item.tokens, usedTokens);
      const record: Attempt = {
        seq,
        attempt,
        startedAt,
        latencyMs,
        statusCode: response.statusCode,
        outcome: 'ok',
        inputTokens: response.usage?.inputTokens ?? null,
        outputTokens: response.usage?.outputTokens ?? null,
      };
      if (this.options.review === undefined) this.commitAnswer(item.location.customId, record, response);
      else this.settleReviewed(item, record, response, this.options.review);
    } catch (thrown) {
      const error =
        thrown instanceof ProviderError
          ? thrown
          : new ProviderError(`provider failed: ${(thrown as Error).message}`, { kind: 'connection', cause: thrown });
      this.handleFailure(item, attempt, startedAt, error);
    }
  }

  /** The item's result: its answer, with the check of it when an answer review made one. */
  private commitAnswer(customId: string, record: Attempt, response: Answer, check?: ItemCheck): void {
    this.counters.succeeded += 1;
    const update: ItemUpdate = {
      seq: record.seq,
      state: 'succeeded',
      attempts: record.attempt,
      statusCode: response.statusCode,
      requestId: response.requestId,
      body: response.body,
      completedAt: this.options.clock.now(),
    };
    // Set after, not spread in: a spread makes V8 build every answer's update on its slow path.
    if (check !== undefined) update.check = check;
    this.enqueueCommit(record, update);
    this.options.onSettled?.({ customId, state: 'succeeded', checkStatus: check?.status ?? null });
  }

  /**
   * An answer with an answer review: checked, then committed as the item's result, or, when the review
   * wants it asked again, committed with the item pending again (`reasks + 1`, the answer and check kept)
   * and the re-ask put at the front of the queue, where it goes through the budget and caps like any request.
   */
  private settleReviewed(item: DispatchItem, record: Attempt, response: Answer, review: AnswerReview): void {
    const { seq, customId } = item.location;
    const reasks = item.reasks ?? 0;
    const reviewed = { customId, seq, reasks };
    const responseBody = answerText(response.body);
    const check = checkAnswer(review, reviewed, responseBody, response.parsed);
    record.reask = reasks;
    record.check = check.status;
    const original = item.original ?? item.request;
    const next = nextReask(review, reviewed, original, { responseBody, check });
    if (next === null) {
      this.commitAnswer(customId, record, response, check);
      return;
    }
    this.counters.reasks = (this.counters.reasks ?? 0) + 1;
    this.enqueueCommit(record, {
      seq,
      state: 'pending',
      attempts: record.attempt,
      reasks: reasks + 1,
      statusCode: response.statusCode,
      requestId: response.requestId,
      body: response.body,
      check,
    });
    // Stopping: the item stays pending with its re-ask count; resume rebuilds the request.
    if (this.stopped) return;
    this.requeueFront({
      ...item,
      request: next,
      original,
      reasks: reasks + 1,
      attempts: record.attempt,
      reaskBase: record.attempt,
      rateLimited: 0,
      outageTries: 0,
    });
  }

  private handleFailure(item: DispatchItem, attempt: number, startedAt: number, error: ProviderError): void {
    const { clock, limiter } = this.options;
    this.options.budget?.release(item.costUsd ?? 0);
    const seq = item.location.seq;
    const latencyMs = clock.now() - startedAt;
    const record: Attempt = {
      seq,
      attempt,
      startedAt,
      latencyMs,
      statusCode: error.status ?? null,
      outcome: error.causeLabel,
      inputTokens: null,
      outputTokens: null,
    };
    if (error.kind === 'aborted') {
      // Abandoned by a hard stop: the item stays pending and is sent again on resume.
      limiter.release(0);
      this.enqueueCommit(null, null);
      return;
    }
    const { outage } = this.options;
    // A failure the server never began to answer may be an outage; one it began to answer (a stalled body) is not.
    if ((error.kind === 'connection' || error.kind === 'timeout') && !error.answerStarted) {
      if (outage?.recordUnreachable(startedAt) === true) {
        this.handleOutage({ ...item, outageTries: (item.outageTries ?? 0) + 1 }, record, error, outage);
        return;
      }
    } else {
      outage?.recordAnswer();
    }
    const overloaded = isOverloadStatus(error.status);
    const rateLimited = (item.rateLimited ?? 0) + (overloaded ? 1 : 0);
    // Only this item waits out the retry-after (the retry policy's delay); the limiter decides
    // whether the pool slows, from the share of such answers, not from this one.
    if (overloaded) limiter.recordOverloaded(startedAt, error.retryAfterMs);
    const countedAttempt =
      attempt - Math.min(rateLimited, FREE_RATE_LIMIT_RETRIES) - (item.outageTries ?? 0) - (item.reaskBase ?? 0);
    // Judged before this failure is counted, so one failure alone never makes the endpoint look struggling.
    const scattered = this.failureShare.isScattered(clock.now());
    this.failureShare.recordFailure(clock.now());
    const decision = decideRetry(
      { ...pickRetryInput(error), scattered },
      Math.max(1, countedAttempt),
      this.options.retry,
      this.random,
    );
    const itemError = toItemError(error);
    if (decision.kind === 'stop-job') {
      this.options.onFatal(error);
      this.enqueueCommit(record, { seq, state: 'cancelled', attempts: attempt, missingReason: 'auth' });
      return;
    }
    if (decision.kind === 'retry' && !this.stopped) {
      this.counters.retries += 1;
      this.enqueueCommit(record, { seq, state: 'retry_wait', attempts: attempt, error: itemError });
      this.scheduleRetry({ ...item, attempts: attempt, rateLimited }, decision.delayMs);
      return;
    }
    if (decision.kind === 'retry') {
      // Stopping: leave it waiting in the store; resume sends it.
      this.enqueueCommit(record, { seq, state: 'retry_wait', attempts: attempt, error: itemError });
      return;
    }
    itemError.reason = decision.reason;
    this.counters.failed += 1;
    this.enqueueCommit(record, { seq, state: 'failed', attempts: attempt, error: itemError, completedAt: clock.now() });
    this.options.onSettled?.({ customId: item.location.customId, state: 'failed', checkStatus: null });
  }

  /**
   * The endpoint, not the item, failed (see `OutageWatch`): the item costs no attempt and waits for the next probe;
   * once the outage has lasted its whole wait, it stays `retry_wait` for `resume` and the job is told to stop.
   */
  private handleOutage(item: DispatchItem, record: Attempt, error: ProviderError, outage: OutageWatch): void {
    const { seq } = item.location;
    // The request was sent, so it is in the attempts ledger like any other; it only uses up no attempt (`outageTries`).
    const attempts = record.attempt;
    const itemError = toItemError(error);
    if (outage.isExhausted || this.stopped) {
      if (outage.isExhausted) this.options.onOutage?.(error);
      this.enqueueCommit(record, { seq, state: 'retry_wait', attempts, error: itemError });
      return;
    }
    const delayMs = outage.nextProbeDelayMs(this.random);
    this.counters.retries += 1;
    this.enqueueCommit(record, { seq, state: 'retry_wait', attempts, error: itemError });
    this.scheduleRetry({ ...item, attempts }, delayMs);
  }

  private scheduleRetry(item: DispatchItem, delayMs: number): void {
    this.counters.waitingRetry += 1;
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      this.counters.waitingRetry -= 1;
      if (this.stopped) return;
      this.requeueFront(item);
    }, delayMs);
    this.retryTimers.add(timer);
  }

  /** Back to the front: a retried or re-asked item should not wait behind the whole window again. */
  private requeueFront(item: DispatchItem): void {
    if (this.queueHead > 0) {
      this.queueHead -= 1;
      this.queue[this.queueHead] = item;
    } else {
      this.queue.unshift(item);
    }
    this.counters.queued += 1;
    this.pump();
  }

  /** The request's slot is held until its outcome is committed (see the class comment). */
  private enqueueCommit(attempt: Attempt | null, update: ItemUpdate | null): void {
    this.commits.add(this.commitWaiter, this.options.jobId, attempt, update);
  }

  private onCommitted(slots: number, error: Error | undefined): void {
    if (error !== undefined && this.commitError === undefined) {
      // A store that cannot commit must stop the job: nothing may count as done unrecorded.
      this.commitError = error;
      this.stop();
      this.abortInFlight();
    }
    this.counters.inFlight -= slots;
    this.options.slots?.release(slots);
    this.pump();
    this.checkIdle();
  }

  private checkIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private wakeSpaceWaiters(): void {
    const waiters = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private throwIfCommitFailed(): void {
    if (this.commitError !== undefined) throw this.commitError;
  }
}

function toItemError(error: ProviderError): ItemError {
  const itemError: ItemError = { code: error.causeLabel, message: error.message };
  if (error.status !== undefined) itemError.status = error.status;
  // Already cut by ProviderError (see cut-error-body.ts).
  if (error.body !== undefined) itemError.body = error.body;
  if (error.bodyBytes !== undefined) itemError.bodyBytes = error.bodyBytes;
  return itemError;
}

/** What the retry policy reads of a provider error (a `ProviderError` is one, but spreading a class drops its getters). */
function pickRetryInput(error: ProviderError): RetryInput {
  return {
    kind: error.kind,
    status: error.status,
    retryAfterMs: error.retryAfterMs,
    shouldRetryHeader: error.shouldRetryHeader,
  };
}
