import type { Attempt } from '../core/attempt.ts';
import type { IngestCursor } from '../core/job.ts';
import type { ItemCheck, ItemError, ItemLocation, ItemRecord, MissingReason, TokenUsage } from '../core/item.ts';
import type { Reject } from '../core/reject.ts';
import type { ItemState } from '../core/states.ts';

/**
 * The items role of the store: what the reader commits (items, rejects, its position), what
 * the engine commits of each attempt, and the item pages resume and the output writer read.
 *
 * Every item write follows the item lifecycle of core/states.ts: a bulk move (reopen, cancel)
 * touches only the items allowed to make it, and a single item update that is not allowed
 * throws and commits nothing of its call.
 *
 * Every list is an `AsyncIterable`, read in pages behind the scenes (no cursor stays open
 * across a yield, so writes may interleave); it lists each element once, in the order named,
 * and may be left early.
 */
export interface ItemStore {
  /**
   * Commit newly read lines and the reader's position, in one transaction. Each valid line
   * becomes an item: pending while fewer than `limit` items are accepted (0 = no limit),
   * else cancelled with reason `limit`. A line whose `customId` the job already has becomes
   * a reject instead. Returns the items accepted as pending, which the caller may send.
   */
  ingest(jobId: string, batch: IngestBatch): Promise<IngestResult>;
  /**
   * Commit what happened to in-flight items: their attempts and new states, of one job or
   * several (the scheduler's group commit), in one transaction.
   */
  commitProgress(batches: readonly JobProgressBatch[]): Promise<void>;

  /** Where every item's line sits (with its line hash), in input order: what resume checks when the input was touched. */
  iterateLocations(jobId: string): AsyncIterable<ItemLocation>;
  /** Unfinished items (pending, retry_wait, and in_flight in an open chunk) in input order, for resume. */
  iterateUnfinished(jobId: string): AsyncIterable<OpenItem>;
  /** Every succeeded or failed item with its check's status, in input order (admission by need learns its counts). */
  iterateOutcomes(jobId: string): AsyncIterable<SettledItem>;
  /** Tokens of every attempt per group (`items.group_key`), for the cost so far of each group. */
  groupTokens(jobId: string): Promise<GroupTokens[]>;
  /**
   * Every item of the job by group (null without one), state, check status, missing reason and prompt, with how many
   * of them finished at or after `since` (`completed_at`): the live view's counts per group and prompt, rates and
   * sink lag (one scan, of an index on SQLite).
   */
  answerCounts(jobId: string, since: number): Promise<AnswerCount[]>;
  /**
   * Move items back to pending: `failed` for `retry JOB`, `cancelled` (except for `limit`) for resume, and for
   * `retry JOB --invalid` the answers that ended `invalid` or `truncated`, as a re-ask: `reasks` one more, the answer
   * and its check kept, so the run asks again from them (docs/decisions/0039).
   */
  reopenItems(jobId: string, from: ReopenFrom): Promise<number>;
  /** Mark every unfinished item cancelled with a reason (interrupt, auth failure). */
  cancelUnfinished(jobId: string, reason: MissingReason): Promise<number>;

  /** Every item with its result, in input order or in completion order (unfinished items last, in input order). */
  iterateItems(jobId: string, order: 'input' | 'completion'): AsyncIterable<ItemRecord>;
  /** Rejected lines in line order. */
  iterateRejects(jobId: string): AsyncIterable<Reject>;

  /**
   * The answers of the items with these custom_ids, for join-back (an `AnswerLookup`, output/answer-record.ts):
   * one indexed read per call, however many ids (a few thousand a call is the intended size). An id the job has
   * no item of is absent from the map, as is every id of an unknown job; an id given twice is answered once.
   */
  answersFor(jobId: string, customIds: readonly string[]): Promise<Map<string, ItemAnswer>>;
  /**
   * Replace the checks of answered items (`validate JOB`: stored answers checked again with new rules, nothing
   * sent), in one transaction. Only a `succeeded` item has an answer to check: any other item, or a seq the job
   * has none of, throws and commits nothing of the call; an unknown job is `JOB_NOT_FOUND`.
   */
  setItemChecks(jobId: string, checks: readonly ItemCheckUpdate[]): Promise<void>;
}

/** One item as join-back reads it: its state, its last answer's check, and what it took (`ItemStore.answersFor`). */
export interface ItemAnswer {
  customId: string;
  seq: number;
  state: ItemState;
  /** The check of its last answer (`items.check_json`); null when no answer review checked one. */
  check: ItemCheck | null;
  /** Why it failed: set for a `failed` item only (a waiting or cancelled item's last error is not its outcome). */
  error: ItemError | null;
  /**
   * Every attempt recorded of it: retries and re-asks included, and those made before a `retry JOB` (which
   * restarts `ItemRecord.attempts` but keeps the attempts), so it counts the same attempts as `usage`.
   */
  attempts: number;
  /** Re-asks made of it (docs/decisions/0019). */
  reasks: number;
  /** Not sent: its group had reached its target (`cancelled`, `target_reached`; docs/decisions/0024). */
  targetReached?: true;
  /** The `model` its stored answer names (`answerModel`, core/item.ts); null without an answer or a named model. */
  model: string | null;
  /** Tokens of every attempt recorded of it, re-asks included; null when no attempt has a token count. */
  usage: TokenUsage | null;
  /** The part of `usage` billed to re-asks (attempts with re-ask number 1 or more); null when none has tokens. */
  reaskUsage: TokenUsage | null;
}

/** A new check of one answered item (`ItemStore.setItemChecks`). */
export interface ItemCheckUpdate {
  seq: number;
  check: ItemCheck;
}

/** An item without a result yet, with the attempts already made of it. */
export interface OpenItem extends ItemLocation {
  attempts: number;
  /** Re-asks made of it (docs/decisions/0019), when there were any (unset: none). */
  reasks?: number;
  /**
   * With `reasks > 0`: the answer that was re-asked and its check, from which the re-ask request is
   * rebuilt (the request itself is never stored: `AnswerReview.reask` is deterministic).
   */
  previous?: ReaskBasis;
  /**
   * With `reasks > 0`, where the store can tell: the attempt number of the answer that was re-asked, so the current
   * re-ask's retries count from there (docs/decisions/0019 §5) and a resume does not hand it a fresh `max_attempts`.
   * Unset: count from `attempts`.
   */
  reaskBase?: number;
}

/** What a re-ask request is built from besides the item's line: the previous answer and its check. */
export interface ReaskBasis {
  /** JSON text of the answer. */
  responseBody: string;
  check: ItemCheck;
}

export interface NewItem extends ItemLocation {
  /** The line's text, used only to build a reject record when the custom_id is a duplicate. */
  raw: string;
  /** A data job's row group (`data.group_by`, docs/decisions/0024), kept as `items.group_key`. */
  group?: string | null;
  /** A data job's prompt (the one that rendered its request), kept as `items.prompt` for per-prompt counts. */
  prompt?: string | null;
}

/** A settled item as admission by need counts it (`ItemStore.iterateOutcomes`). */
export interface SettledItem {
  customId: string;
  state: 'succeeded' | 'failed';
  checkStatus: string | null;
}

/** Tokens of every attempt of one group's items. */
export interface GroupTokens {
  group: string;
  inputTokens: number;
  outputTokens: number;
}

/** What `reopenItems` moves back to pending. */
export type ReopenFrom = 'failed' | 'cancelled' | 'invalid';

/** Items of one group (null: none) in one state, check status and missing reason; `recent` finished since a time. */
export interface AnswerCount {
  group: string | null;
  state: string;
  checkStatus: string | null;
  missingReason: string | null;
  /** A data job's prompt (`items.prompt`); null for other jobs and items ingested before it was kept. */
  prompt: string | null;
  count: number;
  recent: number;
}

export interface IngestBatch {
  items: NewItem[];
  rejects: Reject[];
  /** Where the reader stands after this batch; the counters are kept by the store. */
  position: Pick<IngestCursor, 'byte' | 'line' | 'seq' | 'done'>;
  limit: number;
  /** With `done`, when the reader streamed the whole file from byte 0: the sha256 of its content. */
  inputSha256?: string;
}

export interface IngestResult {
  pending: ItemLocation[];
  cursor: IngestCursor;
}

/**
 * The change of one item's state that goes with an attempt's end. A `retry_wait` item is
 * sent again by this run after its backoff, or by the next run (`resume`) straight away
 * (docs/decisions/0014).
 */
export type ItemUpdate =
  | {
      seq: number;
      state: 'succeeded';
      attempts: number;
      statusCode: number;
      requestId: string | null;
      /** JSON text, or its UTF-8 bytes (a large answer is never decoded: see `ProviderResponse.body`). */
      body: string | Uint8Array;
      completedAt: number;
      /** The check of the answer, when an answer review checked it. */
      check?: ItemCheck;
    }
  /**
   * Answered, but the answer failed its check and is asked again (a re-ask, docs/decisions/0019): the
   * item is pending again with `reasks` (one more than before), keeping the answer and its check.
   */
  | {
      seq: number;
      state: 'pending';
      attempts: number;
      reasks: number;
      statusCode: number;
      requestId: string | null;
      body: string | Uint8Array;
      check: ItemCheck;
    }
  | { seq: number; state: 'failed'; attempts: number; error: ItemError; completedAt: number }
  | { seq: number; state: 'retry_wait'; attempts: number; error: ItemError }
  | { seq: number; state: 'cancelled'; attempts: number; missingReason: MissingReason };

/** One job's part of a group commit: attempts made and the items' new states. */
export interface JobProgressBatch {
  jobId: string;
  attempts: Attempt[];
  updates: ItemUpdate[];
}
