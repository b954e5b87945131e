import type { BatchStatsRecorder } from './batch-stats.ts';

export type TokenLimitDecision = { ok: true } | { ok: false; limit: number; enqueued: number; alone: boolean };

/**
 * The estimated tokens of open batches, per pool (the batch's `tokenPool`: OpenAI and Zhipu count per dialect and
 * model, as OpenAI does; Anthropic counts all models together). `limit` 0 turns the check off but still counts.
 */
export class EnqueuedTokens {
  private readonly pools = new Map<string, number>();
  private readonly limit: number;
  private readonly stats: BatchStatsRecorder;

  constructor(limit: number, stats: BatchStatsRecorder) {
    this.limit = limit;
    this.stats = stats;
  }

  check(pool: string, tokens: number): TokenLimitDecision {
    if (this.limit <= 0) return { ok: true };
    const enqueued = this.pools.get(pool) ?? 0;
    if (enqueued + tokens <= this.limit) return { ok: true };
    return { ok: false, limit: this.limit, enqueued, alone: tokens > this.limit };
  }

  add(pool: string, tokens: number): void {
    this.pools.set(pool, (this.pools.get(pool) ?? 0) + tokens);
    this.stats.enqueuedTokens += tokens;
  }

  release(pool: string, tokens: number): void {
    const left = (this.pools.get(pool) ?? 0) - tokens;
    if (left > 0) this.pools.set(pool, left);
    else this.pools.delete(pool);
    this.stats.enqueuedTokens -= tokens;
  }
}
