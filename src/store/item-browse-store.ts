import type { ItemRecord } from '../core/item.ts';
import type { ItemState } from '../core/states.ts';

/** Which items a page holds; every member set narrows it. */
export interface ItemFilter {
  state?: ItemState | undefined;
  /** A data job's group (`items.group_key`); `''` is the items of no group. */
  group?: string | undefined;
  /** A data job's prompt (`items.prompt`). */
  prompt?: string | undefined;
  /** The code of the item's last error (`http_500`, `timeout`, `invalid_answer`, ...). */
  errorCode?: string | undefined;
  /** The status of the check of its last answer (`valid`, `invalid`, `repaired`, ...). */
  checkStatus?: string | undefined;
  /** Items sent at least this many times. */
  minAttempts?: number | undefined;
  /** A part of the custom_id, as typed (no wildcards). */
  idContains?: string | undefined;
}

/** An item as a list shows it: no answer, no request. */
export interface ItemSummary {
  seq: number;
  customId: string;
  lineNo: number;
  state: ItemState;
  attempts: number;
  reasks: number;
  statusCode: number | null;
  errorCode: string | null;
  checkStatus: string | null;
  group: string | null;
  prompt: string | null;
  completedAt: number | null;
}

/** One attempt of an item, as the attempt ledger has it. */
export interface AttemptRecord {
  attempt: number;
  startedAt: number;
  latencyMs: number;
  statusCode: number | null;
  /** `succeeded`, `http_500`, `timeout`, ... */
  outcome: string;
  inputTokens: number | null;
  outputTokens: number | null;
  /** The re-ask this attempt belonged to (0: the first question); null before re-asks existed. */
  reask: number | null;
  checkStatus: string | null;
}

export interface ItemDetail {
  item: ItemRecord;
  group: string | null;
  prompt: string | null;
  /** When its outcome was committed, epoch ms; null while it has none. */
  completedAt: number | null;
  attempts: AttemptRecord[];
  /** The request line, where the store keeps it (a shared store); otherwise it is read from the job's input. */
  request: string | null;
}

/** Attempts that started within one bucket of time, as the job's history chart shows them. */
export interface HistoryBucket {
  /** The bucket's start, epoch ms (a multiple of the bucket's length). */
  at: number;
  /** Attempts that got an answer (`ok`), and those that failed (any other outcome: 429, 5xx, timeout, ...). */
  ok: number;
  failed: number;
  /** The failed ones by outcome (`http_429`, `timeout`, ...). */
  failures: Record<string, number>;
  inputTokens: number;
  outputTokens: number;
  /** When the last of them ended (start plus latency), epoch ms. */
  lastAt: number;
}

export interface HistorySince {
  /** The ledger's position after the rows read: pass it as `afterRow` next time to read only newer attempts. */
  lastRow: number;
  buckets: HistoryBucket[];
}

/**
 * Browsing a job's items (the dashboard, docs/decisions/0038): a filtered page in input order, read by keyset so a
 * page of a million-item job costs what a page of a small one does, and one item whole with its attempts.
 */
export interface ItemBrowseStore {
  /** Up to `limit` items after `afterSeq` (-1: from the first, seq 0) that pass `filter`, by seq. */
  itemPage(jobId: string, filter: ItemFilter, afterSeq: number, limit: number): Promise<ItemSummary[]>;
  /** Items that pass `filter`, counted up to `cap` (a count past it says "more than"). */
  countItems(jobId: string, filter: ItemFilter, cap: number): Promise<number>;
  /** One item by its seq, or undefined. */
  itemDetail(jobId: string, seq: number): Promise<ItemDetail | undefined>;
  /**
   * The job's attempts recorded after ledger row `afterRow` (0: all), summed per `bucketMs` of their start: the
   * history is the attempt ledger itself, read in increments, so it costs the hot path nothing.
   */
  attemptHistory(jobId: string, afterRow: number, bucketMs: number): Promise<HistorySince>;
}
