import type { ActivityReads } from './activity-reads.ts';
import type { ChunkStore } from './chunk-store.ts';
import type { ItemBrowseStore } from './item-browse-store.ts';
import type { ItemStore } from './item-store.ts';
import type { JobStore } from './job-store.ts';
import type { LeaseStore } from './lease-store.ts';
import type { SinkOutboxStore } from './sink-outbox-store.ts';

export type { ActivityReads, AttemptStats, JobActivity, RecentFailure, ReviewStats } from './activity-reads.ts';
export type {
  ChunkLineOutcome,
  ChunkPatch,
  ChunkStore,
  CloseChunkOptions,
  CloseChunkResult,
  NewChunk,
} from './chunk-store.ts';
export type {
  AnswerCount,
  GroupTokens,
  IngestBatch,
  IngestResult,
  ItemAnswer,
  ItemCheckUpdate,
  ItemStore,
  ItemUpdate,
  JobProgressBatch,
  NewItem,
  OpenItem,
  ReaskBasis,
  ReopenFrom,
  SettledItem,
} from './item-store.ts';
export type {
  AttemptRecord,
  HistoryBucket,
  HistorySince,
  ItemBrowseStore,
  ItemDetail,
  ItemFilter,
  ItemSummary,
} from './item-browse-store.ts';
export type { JobStore, NewJob } from './job-store.ts';
export type { LeaseStore } from './lease-store.ts';
export type {
  BudgetDraw,
  BudgetState,
  SharedBucket,
  SharedLimitsStore,
  TokenGrant,
  TokenTake,
} from './shared-limits-store.ts';
export type { SinkBatchRecord, SinkOutboxStore, SinkProgress, SinkStatusRecord } from './sink-outbox-store.ts';

/**
 * The state store contract. The engine, output writer and CLI talk to the store only
 * through it, and a function asks only for the roles it uses (`JobStore`, `LeaseStore`,
 * `ItemStore`, `ChunkStore`, `ActivityReads`). Every backend passes the one conformance
 * suite, test/store-conformance/store-contract.ts (docs/decisions/0014). `SharedLimitsStore` is a role outside it:
 * only a store many workers share has it (docs/decisions/0032).
 *
 * Deliberately left out: SQL, connections, transactions as objects, HTTP, providers and
 * request bodies. The store keeps where each item's line sits in the input file (offset and
 * length), never a second copy of the input. Every method that writes is atomic: after a
 * crash, either all of one call's changes are there or none. Times the store records on its
 * own (a job's `updatedAt`) come from the clock the store was built with; every other time
 * is the caller's argument.
 */
export interface Store
  extends JobStore, LeaseStore, ItemStore, ItemBrowseStore, ChunkStore, ActivityReads, SinkOutboxStore {
  close(): Promise<void>;
}
