import { createHash } from 'node:crypto';
import { type BatchStats, BatchStatsRecorder } from './batch/batch-stats.ts';
import type { StructuredOutcome } from './build-generation-answer.ts';

/**
 * Answers to requests that asked for JSON, realtime and batch lines alike, by what they turned out to be (a fault
 * kind or `valid`), plus the re-asks among them and those answered valid.
 */
export interface StructuredAnswerCounts {
  answers: number;
  valid: number;
  invalidJson: number;
  schemaBreak: number;
  shortText: number;
  truncated: number;
  refusal: number;
  reasks: number;
  reasksFixed: number;
}

export interface SimulatorFaultCounts {
  http500: number;
  http429: number;
  /** 429s from the `rpm` token bucket. */
  rateLimited: number;
  /** 429s from `maxConcurrency`. */
  concurrencyLimited: number;
  resetBeforeResponse: number;
  resetMidBody: number;
  hang: number;
  malformed: number;
  endless: number;
  stall: number;
  /** 401s for a missing or wrong API key. */
  unauthorized: number;
  http503: number;
  http529: number;
}

export interface SimulatorStats {
  /** Every request received, except those to `/stats` itself. */
  requests: number;
  /** Status codes of complete answers; faults that never finish an answer (resets, hangs) count only in `faults`. */
  byStatus: Record<string, number>;
  faults: SimulatorFaultCounts;
  /** Generation requests admitted and not yet finished, including ones waiting out latency or hanging. */
  inFlight: number;
  maxInFlight: number;
  /** Complete 200 answers on the generation endpoints. */
  answered200: number;
  /** Complete 200 generation answers whose path and raw body had already been answered 200 before. */
  duplicates: number;
  /** Requests to chat/completions, completions, embeddings and responses, whatever their outcome. */
  generationRequests: number;
  /** Requests reset, refused or held by `setOutage` (a refused connection never becomes a request, so not those). */
  outageDropped: number;
  /**
   * Generation requests that arrived while the retry-after of an earlier 429 answer (injected, rpm or concurrency)
   * had not yet run out. A client that holds its whole pool for every retry-after sends none of them.
   */
  duringRetryAfter: number;
  /** Files and batch endpoints (OpenAI, Zhipu, Anthropic). */
  batch: BatchStats;
  /** Structured (JSON) answers written, realtime 200s and batch result lines. */
  structured: StructuredAnswerCounts;
}

function createStructuredCounts(): StructuredAnswerCounts {
  return {
    answers: 0,
    valid: 0,
    invalidJson: 0,
    schemaBreak: 0,
    shortText: 0,
    truncated: 0,
    refusal: 0,
    reasks: 0,
    reasksFixed: 0,
  };
}

function createFaultCounts(): SimulatorFaultCounts {
  return {
    http500: 0,
    http429: 0,
    rateLimited: 0,
    concurrencyLimited: 0,
    resetBeforeResponse: 0,
    resetMidBody: 0,
    hang: 0,
    malformed: 0,
    endless: 0,
    stall: 0,
    unauthorized: 0,
    http503: 0,
    http529: 0,
  };
}

/**
 * The counters behind `GET /stats`. `inFlight` is live state, so a reset keeps it and restarts `maxInFlight` from it.
 */
export class SimulatorStatsRecorder {
  requests = 0;
  generationRequests = 0;
  inFlight = 0;
  maxInFlight = 0;
  answered200 = 0;
  duplicates = 0;
  outageDropped = 0;
  duringRetryAfter = 0;
  faults: SimulatorFaultCounts = createFaultCounts();
  structured: StructuredAnswerCounts = createStructuredCounts();
  readonly batch = new BatchStatsRecorder();
  private byStatus = new Map<number, number>();
  /** performance.now() until which the latest-ending 429 retry-after runs. */
  private retryAfterUntil = 0;
  private readonly answeredKeys: Set<string> | undefined;

  constructor(trackDuplicates: boolean) {
    this.answeredKeys = trackDuplicates ? new Set() : undefined;
  }

  /** A 429 answer was written asking the client to wait `retryAfterMs`. */
  recordRetryAfter(retryAfterMs: number): void {
    this.retryAfterUntil = Math.max(this.retryAfterUntil, performance.now() + retryAfterMs);
  }

  /** Called as each generation request arrives. */
  recordArrival(): void {
    if (this.retryAfterUntil > 0 && performance.now() < this.retryAfterUntil) this.duringRetryAfter += 1;
  }

  recordStatus(status: number): void {
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
  }

  enterFlight(): void {
    this.inFlight += 1;
    if (this.inFlight > this.maxInFlight) this.maxInFlight = this.inFlight;
  }

  /** Bound, so it can be handed to `response.once('close', ...)` without a closure per request. */
  readonly leaveFlight = (): void => {
    this.inFlight -= 1;
  };

  recordSuccess(path: string, rawBody: string): void {
    this.answered200 += 1;
    if (this.answeredKeys === undefined) return;
    // A 16-hex-char prefix keeps a million answers at a few tens of MB while collisions stay negligible.
    const key = createHash('sha256').update(path).update('\n').update(rawBody).digest('hex').slice(0, 16);
    if (this.answeredKeys.has(key)) this.duplicates += 1;
    else this.answeredKeys.add(key);
  }

  /** Structured answers (one per choice) were written (a realtime 200 or a batch result line). Bound, to be handed around. */
  readonly recordStructured = (outcomes: readonly StructuredOutcome[] | undefined): void => {
    for (const outcome of outcomes ?? []) {
      this.structured.answers += 1;
      this.structured[outcome.kind] += 1;
      if (!outcome.reask) continue;
      this.structured.reasks += 1;
      if (outcome.kind === 'valid') this.structured.reasksFixed += 1;
    }
  };

  reset(): void {
    this.requests = 0;
    this.generationRequests = 0;
    this.maxInFlight = this.inFlight;
    this.answered200 = 0;
    this.duplicates = 0;
    this.outageDropped = 0;
    this.duringRetryAfter = 0;
    this.retryAfterUntil = 0;
    this.faults = createFaultCounts();
    this.structured = createStructuredCounts();
    this.batch.reset();
    this.byStatus = new Map();
    this.answeredKeys?.clear();
  }

  snapshot(): SimulatorStats {
    const byStatus: Record<string, number> = {};
    for (const [status, count] of this.byStatus) byStatus[String(status)] = count;
    return {
      requests: this.requests,
      byStatus,
      faults: { ...this.faults },
      inFlight: this.inFlight,
      maxInFlight: this.maxInFlight,
      answered200: this.answered200,
      duplicates: this.duplicates,
      generationRequests: this.generationRequests,
      outageDropped: this.outageDropped,
      duringRetryAfter: this.duringRetryAfter,
      batch: this.batch.snapshot(),
      structured: { ...this.structured },
    };
  }
}
