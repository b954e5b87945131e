import type pg from 'pg';
import type { Chunk } from '../../core/chunk.ts';
import type { IngestCursor, Job, JobConfig, JobCounts, JobData, JobLease } from '../../core/job.ts';
import type { ItemLocation, ItemRecord, MissingReason } from '../../core/item.ts';
import type { Reject } from '../../core/reject.ts';
import { assertJobTransition, type JobState } from '../../core/states.ts';
import { systemClock, type Clock } from '../../util/clock.ts';
import { isProcessAlive } from '../../util/is-process-alive.ts';
import { jobNotFound } from '../require-job.ts';
import type {
  AnswerCount,
  ReopenFrom,
  AttemptStats,
  ChunkLineOutcome,
  ChunkPatch,
  CloseChunkOptions,
  CloseChunkResult,
  GroupTokens,
  IngestBatch,
  IngestResult,
  ItemAnswer,
  ItemCheckUpdate,
  JobActivity,
  JobProgressBatch,
  NewChunk,
  NewJob,
  OpenItem,
  RecentFailure,
  ReviewStats,
  SettledItem,
  SinkBatchRecord,
  SinkProgress,
  SinkStatusRecord,
  Store,
} from '../store.ts';
import type {
  BudgetDraw,
  BudgetState,
  SharedBucket,
  SharedLimitsStore,
  TokenGrant,
  TokenTake,
} from '../shared-limits-store.ts';
import * as activityReads from './queries/activity.ts';
import * as answers from './queries/answers.ts';
import { attemptStats } from './queries/attempts.ts';
import * as chunks from './queries/chunks.ts';
import { ingestBatch } from './queries/ingest.ts';
import * as items from './queries/items.ts';
import * as itemBrowse from './queries/item-browse.ts';
import type { HistorySince, ItemDetail, ItemFilter, ItemSummary } from '../item-browse-store.ts';
import * as jobFiles from './queries/job-files.ts';
import { insertJob, JOB_UPDATES, selectJob, selectJobs, toJob, updateJobState } from './queries/jobs.ts';
import { keysetPages, seqPages } from './queries/keyset-pages.ts';
import { acquireLease } from './queries/lease.ts';
import { commitProgress } from './queries/progress.ts';
import { rejectPage } from './queries/rejects.ts';
import * as sharedLimits from './queries/shared-limits.ts';
import * as sinkOutbox from './queries/sink-outbox.ts';
import * as chunkSlices from './queries/chunk-slices.ts';
import * as slices from './queries/slices.ts';
import { SliceQueue } from './slice-queue.ts';
import { PostgresConnections, type Work } from './postgres-connections.ts';
import type { ChunkWorkStore } from '../chunk-work-store.ts';
import type { JobFileStore } from '../job-file-store.ts';
import type { HeldSlice, SentAttempt, SliceCounts, SliceKey, WorkSliceStore, WorkStop } from '../work-slice-store.ts';

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database`; the password is never shown in a message. */
  url: string;
  /** Whether a pid on this host is still running; injected so tests can fake a dead holder. */
  isProcessAlive?: (pid: number) => boolean;
  /** Where the times the store records on its own (a job's `updatedAt`) come from. */
  clock?: Clock;
}

/** Below this many items a scan costs nothing worth an ANALYZE. */
const ANALYZE_MIN_ITEMS = 1000;

/** Tickets of earlier hand-outs one `claimSlice` goes through per job before it looks at the next job. */
const MAX_STALE_TICKETS = 16;

/**
 * The shared store: one PostgreSQL database that many workers use at once (docs/decisions/0030). A thin class over
 * `queries/*`, as the SQLite store is: every contract call that writes runs in one transaction, and where SQLite's
 * one write lock serialised two processes, the job's row is locked (`SELECT ... FOR NO KEY UPDATE`) for the calls that
 * read before they write (ingest, lease, job state, chunk numbering). Every list is read through `keysetPages`, a
 * connection taken per page, so no cursor stays open across a yield.
 *
 * The schema is migrated on first use (`migrate.ts`); a server that cannot be reached is `STORE_UNREACHABLE`.
 */
export class PostgresStore implements Store, WorkSliceStore, SharedLimitsStore, ChunkWorkStore, JobFileStore {
  private readonly connections: PostgresConnections;
  private readonly clock: Clock;
  private readonly isProcessAlive: (pid: number) => boolean;
  private closed = false;
  private readonly queue: SliceQueue;
  /** How many items each job had when this store last analyzed `items` (see `analyzeIfGrown`). */
  private readonly analyzedItems = new Map<string, number>();

  constructor(options: PostgresStoreOptions) {
    this.connections = new PostgresConnections(options.url);
    this.queue = new SliceQueue(options.url);
    this.clock = options.clock ?? systemClock;
    this.isProcessAlive = options.isProcessAlive ?? isProcessAlive;
  }

  async createJob(job: NewJob): Promise<Job> {
    return this.transaction(async (db) => {
      await insertJob(db, job);
      return this.requireJob(db, job.id);
    });
  }

  async getJob(jobId: string): Promise<Job | undefined> {
    const row = await this.run((db) => selectJob(db, jobId));
    return row === undefined ? undefined : toJob(row);
  }

  async listJobs(): Promise<Job[]> {
    return (await this.run(selectJobs)).map(toJob);
  }

  async setJobState(
    jobId: string,
    state: JobState,
    patch: { activeMsDelta?: number; finishedAt?: number | null } = {},
  ): Promise<void> {
    await this.transaction(async (db) => {
      assertJobTransition((await this.requireJob(db, jobId, true)).state, state);
      await updateJobState(db, jobId, state, this.clock.now(), patch);
    });
  }

  async setInputMtime(jobId: string, mtimeMs: number): Promise<void> {
    await this.run((db) => db.query(JOB_UPDATES.inputMtime, [mtimeMs, jobId]));
  }

  async setJobConfig(jobId: string, config: JobConfig): Promise<void> {
    await this.run((db) => db.query(JOB_UPDATES.config, [JSON.stringify(config), this.clock.now(), jobId]));
  }

  async setJobData(jobId: string, data: JobData): Promise<void> {
    await this.updateExistingJob(JOB_UPDATES.data, [JSON.stringify(data), this.clock.now(), jobId], jobId);
  }

  async requestCancel(jobId: string, now: number): Promise<void> {
    await this.updateExistingJob(JOB_UPDATES.requestCancel, [now, jobId], jobId);
  }

  async clearCancelRequest(jobId: string): Promise<void> {
    await this.run((db) => db.query(JOB_UPDATES.clearCancel, [jobId]));
  }

  async acquireLease(jobId: string, lease: JobLease, staleMs: number): Promise<void> {
    await this.transaction((db) => acquireLease(db, jobId, lease, staleMs, this.isProcessAlive));
  }

  async heartbeat(jobId: string, token: string, now: number, maxStepMs: number): Promise<void> {
    await this.run((db) => db.query(JOB_UPDATES.heartbeat, [now, maxStepMs, jobId, token]));
  }

  async releaseLease(jobId: string, token: string): Promise<void> {
    await this.run((db) => db.query(JOB_UPDATES.release, [jobId, token]));
  }

  async ingest(jobId: string, batch: IngestBatch): Promise<IngestResult> {
    const result = await this.transaction(async (db) => {
      const job = await this.requireJob(db, jobId, true);
      return ingestBatch(db, jobId, job.cursor, batch, this.clock.now());
    });
    await this.analyzeIfGrown(jobId, result.cursor);
    return result;
  }

  async commitProgress(batches: readonly JobProgressBatch[]): Promise<void> {
    await this.transaction((db) => commitProgress(db, batches));
  }

  async *iterateLocations(jobId: string): AsyncIterable<ItemLocation> {
    for await (const row of this.seqPages(jobId, items.locationPage)) yield items.toItemLocation(row);
  }

  async *iterateUnfinished(jobId: string): AsyncIterable<OpenItem> {
    for await (const row of this.seqPages(jobId, items.unfinishedPage)) yield items.toOpenItem(row);
  }

  async *iterateOutcomes(jobId: string): AsyncIterable<SettledItem> {
    for await (const row of this.seqPages(jobId, items.outcomePage)) {
      yield { customId: row.custom_id, state: row.state, checkStatus: row.check_status };
    }
  }

  async answerCounts(jobId: string, since: number): Promise<AnswerCount[]> {
    return this.run((db) => items.answerCounts(db, jobId, since));
  }

  async groupTokens(jobId: string): Promise<GroupTokens[]> {
    return this.run((db) => items.groupTokens(db, jobId));
  }

  async reopenItems(jobId: string, from: ReopenFrom): Promise<number> {
    const sql = items.BULK_MOVES.reopen[from];
    return (await this.run((db) => db.query(sql, [jobId]))).rowCount ?? 0;
  }

  async cancelUnfinished(jobId: string, reason: MissingReason): Promise<number> {
    return (await this.run((db) => db.query(items.BULK_MOVES.cancelUnfinished, [jobId, reason]))).rowCount ?? 0;
  }

  async *iterateItems(jobId: string, order: 'input' | 'completion'): AsyncIterable<ItemRecord> {
    if (order === 'input') {
      for await (const row of this.seqPages(jobId, items.pageBySeq)) yield items.toItemRecord(row);
      return;
    }
    const completed = keysetPages(
      (after: { time: number; seq: number }, limit) => this.run((db) => items.completedPage(db, jobId, after, limit)),
      { time: -1, seq: -1 },
      (row) => ({ time: row.completed_at ?? -1, seq: row.seq }),
    );
    for await (const row of completed) yield items.toItemRecord(row);
    for await (const row of this.seqPages(jobId, items.notCompletedPage)) yield items.toItemRecord(row);
  }

  async *iterateRejects(jobId: string): AsyncIterable<Reject> {
    const rows = keysetPages(
      (after: number, limit) => this.run((db) => rejectPage(db, jobId, after, limit)),
      0,
      (row) => row.line,
    );
    for await (const row of rows) {
      yield row.custom_id === null
        ? { line: row.line, reason: row.reason, raw: row.raw }
        : { line: row.line, custom_id: row.custom_id, reason: row.reason, raw: row.raw };
    }
  }

  async answersFor(jobId: string, customIds: readonly string[]): Promise<Map<string, ItemAnswer>> {
    return this.run((db) => answers.answersFor(db, jobId, customIds));
  }

  async setItemChecks(jobId: string, checks: readonly ItemCheckUpdate[]): Promise<void> {
    await this.transaction(async (db) => {
      await this.requireJob(db, jobId);
      await answers.setItemChecks(db, jobId, checks);
    });
  }

  async recordSinkBatch(jobId: string, batch: SinkBatchRecord): Promise<void> {
    await this.transaction(async (db) => {
      await this.requireJob(db, jobId);
      await sinkOutbox.recordSinkBatch(db, jobId, batch);
    });
  }

  async finishSinkBatch(jobId: string, sink: string, batchNo: number, now: number): Promise<void> {
    await this.run((db) => sinkOutbox.finishSinkBatch(db, jobId, sink, batchNo, now));
  }

  async sinkProgress(jobId: string, sink: string): Promise<SinkProgress> {
    return this.run((db) => sinkOutbox.sinkProgress(db, jobId, sink));
  }

  async sinkStatuses(jobId: string): Promise<SinkStatusRecord[]> {
    return this.run((db) => sinkOutbox.sinkStatuses(db, jobId));
  }

  async resetSinkBatches(jobId: string, sink: string): Promise<void> {
    await this.run((db) => sinkOutbox.resetSinkBatches(db, jobId, sink));
  }

  async counts(jobId: string): Promise<JobCounts> {
    return this.run((db) => activityReads.counts(db, jobId));
  }

  async attemptStats(jobId: string): Promise<AttemptStats> {
    return this.run((db) => attemptStats(db, jobId));
  }

  async activity(jobId: string, sinceMs: number): Promise<JobActivity> {
    return this.run((db) => activityReads.activity(db, jobId, sinceMs));
  }

  async recentFailures(jobId: string, limit: number): Promise<RecentFailure[]> {
    return this.run((db) => activityReads.recentFailures(db, jobId, limit));
  }

  async reviewStats(jobId: string): Promise<ReviewStats> {
    return this.run((db) => activityReads.reviewStats(db, jobId));
  }

  async *pendingItems(jobId: string): AsyncIterable<OpenItem> {
    for await (const row of this.seqPages(jobId, items.pendingPage)) yield items.toOpenItem(row);
  }

  async createChunk(jobId: string, chunk: NewChunk, seqs: readonly number[]): Promise<Chunk> {
    return this.transaction(async (db) => {
      await this.requireJob(db, jobId, true);
      return chunks.createChunk(db, jobId, chunk, seqs);
    });
  }

  async updateChunk(jobId: string, chunkNo: number, patch: ChunkPatch): Promise<Chunk> {
    return this.transaction((db) => chunks.updateChunk(db, jobId, chunkNo, patch));
  }

  async listChunks(jobId: string): Promise<Chunk[]> {
    return this.run((db) => chunks.listChunks(db, jobId));
  }

  async *chunkItems(jobId: string, chunkNo: number): AsyncIterable<OpenItem> {
    const rows = seqPages((after, limit) => this.run((db) => items.chunkItemsPage(db, jobId, chunkNo, after, limit)));
    for await (const row of rows) yield items.toOpenItem(row);
  }

  async mergeChunkResults(jobId: string, chunkNo: number, lines: readonly ChunkLineOutcome[]): Promise<number> {
    return this.transaction((db) => chunks.mergeChunkResults(db, jobId, chunkNo, lines));
  }

  async closeChunk(jobId: string, chunkNo: number, options: CloseChunkOptions): Promise<CloseChunkResult> {
    return this.transaction((db) => chunks.closeChunk(db, jobId, chunkNo, options));
  }

  // The work role (store/work-slice-store.ts, docs/decisions/0031).

  async cutSlices(jobId: string, size: number): Promise<number> {
    await this.queue.prepare(jobId);
    return this.transaction(async (db) => {
      await this.requireJob(db, jobId, true);
      const tickets = await slices.cutSlices(db, jobId, size);
      await sharedLimits.clearBudgetReservations(db, jobId);
      await this.queue.publish(db, jobId, tickets);
      return tickets.length;
    });
  }

  async appendSlices(jobId: string, size: number, final: boolean): Promise<number> {
    await this.queue.prepare(jobId);
    return this.transaction(async (db) => {
      const tickets = await slices.appendSlices(db, jobId, size, final);
      await this.queue.publish(db, jobId, tickets);
      return tickets.length;
    });
  }

  async claimSlice(jobIds: readonly string[], holder: string): Promise<HeldSlice | undefined> {
    for (const jobId of jobIds) {
      await this.queue.prepare(jobId);
      // A ticket of an earlier hand-out claims nothing and is used up; a handful is the most one call goes through.
      for (let tries = 0; tries < MAX_STALE_TICKETS; tries += 1) {
        const taken = await this.transaction(async (db) => {
          const ticket = await this.queue.take(db, jobId);
          if (ticket === undefined) return 'none' as const;
          return (await slices.claimSlice(db, jobId, ticket, holder)) ?? ('stale' as const);
        });
        if (taken === 'none') break;
        if (taken !== 'stale') return taken;
      }
    }
    return undefined;
  }

  async heartbeatSlices(holder: string): Promise<SliceKey[]> {
    return this.run((db) => slices.heartbeatSlices(db, holder));
  }

  async finishSlice(key: SliceKey, holder: string): Promise<boolean> {
    return this.transaction((db) => slices.finishSlice(db, key, holder));
  }

  async releaseSlices(holder: string, only?: SliceKey): Promise<number> {
    return this.reissue(only === undefined ? { holder } : { holder, only });
  }

  async reclaimStaleSlices(staleMs: number, ownPrefix?: string): Promise<number> {
    return this.reissue({ staleMs, ownPrefix: ownPrefix ?? null });
  }

  async withdrawSlices(jobId: string): Promise<void> {
    await this.run((db) => slices.withdrawSlices(db, jobId));
  }

  async sliceCounts(jobId: string): Promise<SliceCounts> {
    return this.run((db) => slices.sliceCounts(db, jobId));
  }

  async jobsWithOpenSlices(pattern?: string): Promise<string[]> {
    return this.run((db) => slices.jobsWithOpenSlices(db, pattern));
  }

  async sliceItems(jobId: string, firstSeq: number, lastSeq: number): Promise<OpenItem[]> {
    return this.run((db) => slices.sliceItems(db, jobId, firstSeq, lastSeq));
  }

  // ItemBrowseStore (the dashboard, docs/decisions/0038).

  async itemPage(jobId: string, filter: ItemFilter, afterSeq: number, limit: number): Promise<ItemSummary[]> {
    return this.run((db) => itemBrowse.itemPage(db, jobId, filter, afterSeq, limit));
  }

  async countItems(jobId: string, filter: ItemFilter, cap: number): Promise<number> {
    return this.run((db) => itemBrowse.countItems(db, jobId, filter, cap));
  }

  async itemDetail(jobId: string, seq: number): Promise<ItemDetail | undefined> {
    return this.run((db) => itemBrowse.itemDetail(db, jobId, seq));
  }

  async attemptHistory(jobId: string, afterRow: number, bucketMs: number): Promise<HistorySince> {
    return this.run((db) => itemBrowse.attemptHistory(db, jobId, afterRow, bucketMs));
  }

  async requestTexts(jobId: string, seqs: readonly number[]): Promise<Map<number, string>> {
    const rows = await this.run((db) => slices.requestRows(db, jobId, seqs));
    const texts = new Map<number, string>();
    for (const row of rows) if (row.request !== null) texts.set(row.seq, row.request.toString('utf8'));
    return texts;
  }

  async putJobFile(jobId: string, name: string, body: Buffer): Promise<void> {
    await this.transaction((db) => jobFiles.putJobFile(db, jobId, name, body));
  }

  async hasJobFile(jobId: string, name: string): Promise<boolean> {
    return this.run((db) => jobFiles.hasJobFile(db, jobId, name));
  }

  async getJobFile(jobId: string, name: string): Promise<Buffer | undefined> {
    return this.run((db) => jobFiles.getJobFile(db, jobId, name));
  }

  async recordSent(jobId: string, holder: string, sent: readonly SentAttempt[]): Promise<number[]> {
    return this.run((db) => slices.recordSent(db, jobId, holder, sent));
  }

  async commitSliceProgress(batches: readonly JobProgressBatch[], holder: string): Promise<SliceKey[]> {
    return this.transaction((db) => slices.commitSliceProgress(db, batches, holder));
  }

  async stopJobWork(jobId: string, stop: WorkStop): Promise<void> {
    await this.run((db) => slices.stopJobWork(db, jobId, stop));
  }

  async workStop(jobId: string): Promise<WorkStop | undefined> {
    return this.run((db) => slices.workStop(db, jobId));
  }

  // Batch-mode chunks as slices (store/chunk-work-store.ts, docs/decisions/0034).

  async handOutChunks(jobId: string, chunkNos: readonly number[], options?: { restart?: boolean }): Promise<number> {
    await this.queue.prepare(jobId);
    return this.transaction(async (db) => {
      await this.requireJob(db, jobId, true);
      const tickets = await chunkSlices.handOutChunks(db, jobId, chunkNos, options?.restart === true);
      await this.queue.publish(db, jobId, tickets);
      return tickets.length;
    });
  }

  async updateHeldChunk(slice: SliceKey, holder: string, patch: ChunkPatch): Promise<Chunk> {
    return this.transaction(async (db) =>
      chunks.updateChunk(db, slice.jobId, await chunkSlices.lockHeldChunk(db, slice, holder), patch),
    );
  }

  async mergeHeldChunkResults(slice: SliceKey, holder: string, lines: readonly ChunkLineOutcome[]): Promise<number> {
    return this.transaction(async (db) =>
      chunks.mergeChunkResults(db, slice.jobId, await chunkSlices.lockHeldChunk(db, slice, holder), lines),
    );
  }

  async closeHeldChunk(slice: SliceKey, holder: string, options: CloseChunkOptions): Promise<CloseChunkResult> {
    return this.transaction(async (db) =>
      chunks.closeChunk(db, slice.jobId, await chunkSlices.lockHeldChunk(db, slice, holder), options),
    );
  }

  async *chunkAnswers(jobId: string, chunkNo: number): AsyncIterable<string> {
    const rows = seqPages((after, limit) =>
      this.run((db) => chunkSlices.chunkAnswerPage(db, jobId, chunkNo, after, limit)),
    );
    for await (const row of rows) yield row.body;
  }

  /**
   * `ANALYZE items` once the job's items have doubled since the last one (and when its input is read to the end): the
   * planner then knows the job has many items, and updates them by index, not by a scan of all the job's open items
   * (which, before, made each commit of a 20,000-item job cost 2.5 ms of server time).
   */
  private async analyzeIfGrown(jobId: string, cursor: IngestCursor): Promise<void> {
    const items = cursor.accepted + cursor.leftOut;
    const last = this.analyzedItems.get(jobId) ?? 0;
    if (items < ANALYZE_MIN_ITEMS || (items < last * 2 && !(cursor.done && items > last))) return;
    this.analyzedItems.set(jobId, items);
    await this.run((db) => db.query('ANALYZE items'));
  }

  /** Open slices handed out again under a new generation, in the transaction that re-queues them. */
  private async reissue(where: slices.ReissueWhere): Promise<number> {
    // Every job with a slice was cut, which made its queue: only pg-boss itself needs starting here.
    await this.queue.prepare();
    return this.transaction(async (db) => {
      const reissued = await slices.reissueSlices(db, where);
      const byJob = new Map<string, slices.SliceTicket[]>();
      for (const { jobId, ...ticket } of reissued) byJob.set(jobId, [...(byJob.get(jobId) ?? []), ticket]);
      for (const [jobId, tickets] of byJob) await this.queue.publish(db, jobId, tickets);
      return reissued.length;
    });
  }

  /** Ends the pool's connections; a second call does nothing (as SQLite's close of a closed database). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.close();
    await this.connections.close();
  }

  private seqPages<Row extends { seq: number }>(
    jobId: string,
    page: (db: pg.ClientBase, jobId: string, afterSeq: number, limit: number) => Promise<Row[]>,
  ): AsyncGenerator<Row, void, undefined> {
    return seqPages((after, limit) => this.run((db) => page(db, jobId, after, limit)));
  }

  private async run<T>(work: Work<T>): Promise<T> {
    return this.connections.run(work);
  }

  private async transaction<T>(work: Work<T>): Promise<T> {
    return this.connections.transaction(work);
  }

  private async updateExistingJob(sql: string, values: unknown[], jobId: string): Promise<void> {
    const result = await this.run((db) => db.query(sql, values));
    if (result.rowCount === 0) throw jobNotFound(jobId);
  }

  private async requireJob(db: pg.ClientBase, jobId: string, forUpdate = false): Promise<Job> {
    const row = await selectJob(db, jobId, forUpdate);
    if (row === undefined) throw jobNotFound(jobId);
    return toJob(row);
  }

  // SharedLimitsStore (docs/decisions/0032): limits held across the workers of a job, one statement each.

  async takeTokens(jobId: string, take: TokenTake): Promise<TokenGrant> {
    return this.run((db) => sharedLimits.takeTokens(db, jobId, take));
  }

  async giveBackTokens(jobId: string, bucket: SharedBucket, count: number): Promise<void> {
    await this.run((db) => sharedLimits.giveBackTokens(db, jobId, bucket, count));
  }

  async pauseSending(jobId: string, forMs: number): Promise<void> {
    await this.run((db) => sharedLimits.pauseSending(db, jobId, forMs));
  }

  async sendingPause(jobId: string): Promise<number | null> {
    return this.run((db) => sharedLimits.sendingPause(db, jobId));
  }

  async reserveBudget(jobId: string, draw: BudgetDraw): Promise<number> {
    return this.run((db) => sharedLimits.reserveBudget(db, jobId, draw));
  }

  async settleBudget(jobId: string, releasedUsd: number, spentUsd: number): Promise<void> {
    await this.run((db) => sharedLimits.settleBudget(db, jobId, releasedUsd, spentUsd));
  }

  async budgetState(jobId: string): Promise<BudgetState> {
    return this.run((db) => sharedLimits.budgetState(db, jobId));
  }
}
