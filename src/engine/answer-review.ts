/**
 * The engine's seam to answer checking and re-asks (issue 12 §2–§3, docs/decisions/0019): how a
 * run checks each answer and builds the request that asks again. The data-job composition root
 * builds one from the prompts (validate/check-answer.ts, validate/build-reask.ts); without one, a
 * run behaves exactly as before (no per-answer work at all).
 *
 * Contract:
 * - `check` reads an answer body (the provider's JSON answer text) and says what it is worth.
 * - `shouldReask` decides whether an answer so checked is asked again: not for a valid or repaired
 *   one, and not past the prompt's `reask.max` (the review, not the engine, holds the bound).
 * - `reask` builds the request of re-ask `item.reasks + 1` from the item's original request and the
 *   previous answer with its check. It must be deterministic: after a crash the request is rebuilt
 *   from what the store kept (the original line, the previous answer and check), never stored.
 *   Null: the item cannot be asked again after all; its last answer stands.
 */
import { toStoredCheck, type ItemCheck, type PreparedRequest } from '../core/item.ts';
import type { OpenItem } from '../store/store.ts';

/** The item an answer belongs to, as the review sees it. */
export interface ReviewedItem {
  customId: string;
  seq: number;
  /** Re-asks already made of it: 0 for the answer to its original request. */
  reasks: number;
}

/** The answer a re-ask answers to. */
export interface PreviousAnswer {
  responseBody: string;
  check: ItemCheck;
}

export interface AnswerReview {
  /**
   * The check of one answer; an `AnswerCheck` (validate/answer-check.ts) fits, its `text` is not stored.
   * `parsedBody`, when given, is `responseBody` parsed (the provider parsed it already).
   */
  check(item: ReviewedItem, responseBody: string, parsedBody?: unknown): ItemCheck & { text?: string };
  shouldReask(item: ReviewedItem, check: ItemCheck): boolean;
  reask(item: ReviewedItem, original: PreparedRequest, previous: PreviousAnswer): PreparedRequest | null;
  /** The prompt an item answers, kept with it at ingest (`items.prompt`) for per-prompt counts; unset: none. */
  promptOf?(customId: string): string | undefined;
}

/**
 * Checks an answer. A review that throws is a bug in it, not a fault of the answer or the endpoint:
 * the answer is kept, `invalid` with the reason, and never mistaken for a provider failure.
 */
export function checkAnswer(
  review: AnswerReview,
  item: ReviewedItem,
  responseBody: string,
  parsedBody?: unknown,
): ItemCheck {
  try {
    return toStoredCheck(review.check(item, responseBody, parsedBody));
  } catch (error) {
    return { status: 'invalid', issues: [{ path: '', message: `the check failed: ${(error as Error).message}` }] };
  }
}

/** The answer body as text (a large answer arrives as bytes). */
export function answerText(body: string | Uint8Array): string {
  return typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
}

/**
 * The re-ask request, or null: none wanted, none left, or a review that throws (a bug in it: the answer then stands
 * with its check, rather than the item failing as if the provider had).
 */
export function nextReask(
  review: AnswerReview,
  item: ReviewedItem,
  original: PreparedRequest,
  previous: PreviousAnswer,
): PreparedRequest | null {
  return wantsReask(review, item, previous.check) ? rebuildReask(review, item, original, previous) : null;
}

/** Whether the review wants an answer so checked asked again (false when it throws; see `nextReask`). */
export function wantsReask(review: AnswerReview, item: ReviewedItem, check: ItemCheck): boolean {
  try {
    return review.shouldReask(item, check);
  } catch {
    return false;
  }
}

/** The request of re-ask `item.reasks + 1` rebuilt on resume or for a wave's chunk file; null when it cannot be. */
function rebuildReask(
  review: AnswerReview,
  item: ReviewedItem,
  original: PreparedRequest,
  previous: PreviousAnswer,
): PreparedRequest | null {
  try {
    return review.reask(item, original, previous);
  } catch {
    return null;
  }
}

/**
 * The request of a re-asked item left unfinished (a resume in realtime mode, a re-ask wave's chunk in batch mode),
 * rebuilt from its line's request and the answer and check the store kept (`AnswerReview.reask` is deterministic, so
 * this is the request the run that re-asked it would have sent). Null for an item never re-asked, or when no review
 * can rebuild it: then its line's request is sent again and its answer checked as the last one.
 */
export function storedReask(
  review: AnswerReview | undefined,
  item: OpenItem,
  original: PreparedRequest,
): PreparedRequest | null {
  if (review === undefined || item.previous === undefined || item.reasks === undefined) return null;
  return rebuildReask(
    review,
    { customId: item.customId, seq: item.seq, reasks: item.reasks - 1 },
    original,
    item.previous,
  );
}
