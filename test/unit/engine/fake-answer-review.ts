import type { ItemCheck, PreparedRequest } from '../../../src/core/item.ts';
import type { AnswerReview, PreviousAnswer, ReviewedItem } from '../../../src/engine/answer-review.ts';

/**
 * An `AnswerReview` for engine tests (a fake of the contract, not of validate/): the answer to an item's request
 * number `reasks` is valid once `reasks >= fixedAfter(seq)`, else `invalid` (even seqs) or `truncated` (odd seqs);
 * re-asks up to `max`. A re-ask request is the original's messages plus the previous answer and one user message
 * naming the re-ask number, so a test can tell which request was sent and that a rebuilt one is the same.
 */
export class FakeAnswerReview implements AnswerReview {
  /** Checks made, by custom_id. */
  readonly checks = new Map<string, number>();
  private readonly max: number;
  private readonly fixedAfter: (seq: number) => number;

  constructor(options: { max: number; fixedAfter: (seq: number) => number }) {
    this.max = options.max;
    this.fixedAfter = options.fixedAfter;
  }

  check(item: ReviewedItem, responseBody: string): ItemCheck & { text: string } {
    this.checks.set(item.customId, (this.checks.get(item.customId) ?? 0) + 1);
    if (item.reasks >= this.fixedAfter(item.seq))
      return { status: 'valid', value: { seq: item.seq }, issues: [], text: '' };
    const status = item.seq % 2 === 0 ? 'invalid' : 'truncated';
    return {
      status,
      issues: [{ path: '/answer', message: `not yet (${String(responseBody.length)} bytes)` }],
      text: '',
    };
  }

  shouldReask(item: ReviewedItem, check: ItemCheck): boolean {
    return check.status !== 'valid' && check.status !== 'repaired' && item.reasks < this.max;
  }

  reask(item: ReviewedItem, original: PreparedRequest, previous: PreviousAnswer): PreparedRequest {
    const body = JSON.parse(original.body) as { messages: unknown[] };
    body.messages = [
      ...body.messages,
      { role: 'assistant', content: previous.responseBody.slice(0, 30) },
      { role: 'user', content: `Your previous answer was ${previous.check.status}: re-ask ${String(item.reasks + 1)}` },
    ];
    return { ...original, body: JSON.stringify(body) };
  }
}

/** Which re-ask a request body is (0 for an original request). */
export function reaskNumberOf(body: string): number {
  return Number(/re-ask (\d+)/.exec(body)?.[1] ?? 0);
}
