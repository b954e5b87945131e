import { dirname, resolve } from 'node:path';
import type { Database as SqliteDatabase } from 'better-sqlite3';
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
import { openDatabase } from './open-database.ts';
import { prepareActivityQueries } from './queries/activity.ts';
import { prepareAnswerQueries } from './queries/answers.ts';
import { prepareAttemptQueries } from './queries/attempts.ts';
import { prepareChunkOperations } from './queries/chunks.ts';
import { prepareIngest } from './queries/ingest.ts';
import { prepareItemQueries, toItemLocation, toItemRecord, toOpenItem, type ItemRow } from './queries/items.ts';
import { prepareJobQueries, toJob } from './queries/jobs.ts';
import { prepareAcquireLease } from './queries/lease.ts';
import { keysetPages, seqPages } from './queries/keyset-pages.ts';
import { prepareProgress } from './queries/progress.ts';
import { prepareRejectQueries } from './queries/rejects.ts';
import { prepareResponsePartQueries } from './queries/response-parts.ts';
import { prepareSinkOutboxQueries } from './queries/sink-outbox.ts';
import { prepareItemBrowse } from './queries/item-browse.ts';
import type { HistorySince, ItemDetail, ItemFilter, ItemSummary } from '../item-browse-store.ts';
import { toStoredPath } from './workspace-paths.ts';

export interface SqliteStoreOptions {
  /** Path of the database file; the workspace keeps it as `state.db`. */
  path: string;
  /** Whether a pid on this host is still running; injected so tests can fake a dead holder. */
  isProcessAlive?: (pid: number) => boolean;
  /** Where the times the store records on its own (a job's `updatedAt`) come from. */
  clock?: Clock;
}

const EMPTY_CURSOR: IngestCursor = { byte: 0, line: 0, seq: 0, accepted: 0, leftOut: 0, rejected: 0, done: false };

/**
 * The embedded store: one SQLite file per workspace, WAL so readers (`status`) run beside
 * the writer. A thin class over `queries/*`: all writes of one contract call run in one
 * transaction; the engine batches many item updates into one call, so a commit costs one
 * WAL append, not one per request. Every list is read through `keysetPages`.
 *
 * The driver is synchronous; methods are `async` so that errors reach callers as
 * rejections, as the contract promises (hence require-await is off for this folder).
 *
 * Durability: synchronous=NORMAL. A kill -9 loses nothing committed; a power cut may lose
 * the last commits, which only means those items are sent again (see docs/decisions).
 */
export class SqliteStore implements Store {
  private readonly db: SqliteDatabase;
  private readonly jobs: ReturnType<typeof prepareJobQueries>;
  private readonly items: ReturnType<typeof prepareItemQueries>;
  private readonly responseParts: ReturnType<typeof prepareResponsePartQueries>;
  private readonly attempts: ReturnType<typeof prepareAttemptQueries>;
  private readonly rejects: ReturnType<typeof prepareRejectQueries>;
  private readonly chunks: ReturnType<typeof prepareChunkOperations>;
  private readonly activityQueries: ReturnType<typeof prepareActivityQueries>;
  private readonly answers: ReturnType<typeof prepareAnswerQueries>;
  private readonly sinkOutbox: ReturnType<typeof prepareSinkOutboxQueries>;
  private readonly browse: ReturnType<typeof prepareItemBrowse>;
  private readonly ingestBatch: ReturnType<typeof prepareIngest>;
  private readonly progress: ReturnType<typeof prepareProgress>;
  private readonly acquire: ReturnType<typeof prepareAcquireLease>;
  private readonly clock: Clock;
  /** The folder of `state.db`: paths inside it are stored relative to it. */
  private readonly workspace: string;

  constructor(options: SqliteStoreOptions) {
    // 16 MB of page cache: reads are keyset pages and commits touch the pages of the items just answered, so a larger
    // cache bought no speed at 100,000 or 1,000,000 items and cost its size in RSS (issue 15).
    this.db = openDatabase(options.path, { cacheKiB: 16_000 });
    this.jobs = prepareJobQueries(this.db);
    this.items = prepareItemQueries(this.db);
    this.responseParts = prepareResponsePartQueries(this.db);
    this.attempts = prepareAttemptQueries(this.db);
    this.rejects = prepareRejectQueries(this.db);
    this.chunks = prepareChunkOperations(this.db, this.attempts);
    this.activityQueries = prepareActivityQueries(this.db);
    this.answers = prepareAnswerQueries(this.db);
    this.sinkOutbox = prepareSinkOutboxQueries(this.db);
    this.browse = prepareItemBrowse(this.db);
    this.ingestBatch = prepareIngest(this.db, { jobs: this.jobs, items: this.items, rejects: this.rejects });
    this.progress = prepareProgress(this.db, {
      items: this.items,
      attempts: this.attempts,
      responseParts: this.responseParts,
    });
    this.acquire = prepareAcquireLease(this.db, this.jobs, options.isProcessAlive ?? isProcessAlive);
    this.clock = options.clock ?? systemClock;
    this.workspace = resolve(dirname(options.path));
  }

  async createJob(job: NewJob): Promise<Job> {
    this.jobs.insert.run({
      id: job.id,
      state: 'created',
      now: job.now,
      input_path: toStoredPath(this.workspace, job.inputPath),
      input_size: job.inputFingerprint.size,
      input_sample: job.inputFingerprint.sample,
      input_mtime_ms: job.inputFingerprint.mtimeMs ?? null,
      config_json: JSON.stringify(job.config),
      out_dir: toStoredPath(this.workspace, job.outDir),
      cursor_json: JSON.stringify(EMPTY_CURSOR),
      data_json: job.data === undefined ? null : JSON.stringify(job.data),
    });
    return this.requireJob(job.id);
  }

  async getJob(jobId: string): Promise<Job | undefined> {
    const row = this.jobs.get.get(jobId);
    return row === undefined ? undefined : toJob(row, this.workspace);
  }

  async listJobs(): Promise<Job[]> {
    return this.jobs.list.all().map((row) => toJob(row, this.workspace));
  }

  async setJobState(
    jobId: string,
    state: JobState,
    patch: { activeMsDelta?: number; finishedAt?: number | null } = {},
  ): Promise<void> {
    this.db
      .transaction(() => {
        assertJobTransition(this.requireJob(jobId).state, state);
        const hasFinished = patch.finishedAt === undefined ? 0 : 1;
        this.jobs.setState.run(
          state,
          this.clock.now(),
          patch.activeMsDelta ?? 0,
          hasFinished,
          patch.finishedAt ?? null,
          jobId,
        );
      })
      .immediate();
  }

  async setInputMtime(jobId: string, mtimeMs: number): Promise<void> {
    this.jobs.setInputMtime.run(mtimeMs, jobId);
  }

  async setJobConfig(jobId: string, config: JobConfig): Promise<void> {
    this.jobs.setConfig.run(JSON.stringify(config), this.clock.now(), jobId);
  }

  async setJobData(jobId: string, data: JobData): Promise<void> {
    this.requireJob(jobId);
    this.jobs.setData.run(JSON.stringify(data), this.clock.now(), jobId);
  }

  async requestCancel(jobId: string, now: number): Promise<void> {
    this.requireJob(jobId);
    this.jobs.requestCancel.run(now, jobId);
  }

  async clearCancelRequest(jobId: string): Promise<void> {
    this.jobs.clearCancel.run(jobId);
  }

  async acquireLease(jobId: string, lease: JobLease, staleMs: number): Promise<void> {
    this.acquire.immediate(jobId, lease, staleMs);
  }

  async heartbeat(jobId: string, token: string, now: number, maxStepMs: number): Promise<void> {
    this.jobs.heartbeat.run(now, maxStepMs, now, jobId, token);
  }

  async releaseLease(jobId: string, token: string): Promise<void> {
    this.jobs.release.run(jobId, token);
  }

  async ingest(jobId: string, batch: IngestBatch): Promise<IngestResult> {
    return this.db
      .transaction(() => this.ingestBatch(jobId, this.requireJob(jobId).cursor, batch, this.clock.now()))
      .immediate();
  }

  async commitProgress(batches: readonly JobProgressBatch[]): Promise<void> {
    this.progress.immediate(batches);
  }

  async *iterateLocations(jobId: string): AsyncIterable<ItemLocation> {
    for (const row of seqPages((after, limit) => this.items.locationPage.all(jobId, after, limit))) {
      yield toItemLocation(row);
    }
  }

  async *iterateUnfinished(jobId: string): AsyncIterable<OpenItem> {
    const readParts = (seq: number, length: number): Uint8Array => this.responseParts.read(jobId, seq, length);
    for (const row of seqPages((after, limit) => this.items.unfinishedPage.all(jobId, after, limit))) {
      yield toOpenItem(row, readParts);
    }
  }

  async *iterateOutcomes(jobId: string): AsyncIterable<SettledItem> {
    for (const row of seqPages((after, limit) => this.items.outcomePage.all(jobId, after, limit))) {
      yield { customId: row.custom_id, state: row.state, checkStatus: row.check_status };
    }
  }

  async answerCounts(jobId: string, since: number): Promise<AnswerCount[]> {
    return this.items.answerCounts.all(since, jobId).map((row) => ({
      group: row.group_key,
      state: row.state,
      checkStatus: row.check_status,
      missingReason: row.missing_reason,
      prompt: row.prompt,
      count: row.n,
      recent: row.recent ?? 0,
    }));
  }

  async groupTokens(jobId: string): Promise<GroupTokens[]> {
    return this.items.groupTokens.all(jobId).map((row) => ({
      group: row.group_key,
      inputTokens: row.input_tokens ?? 0,
      outputTokens: row.output_tokens ?? 0,
    }));
  }

  async reopenItems(jobId: string, from: ReopenFrom): Promise<number> {
    return this.items.reopen[from].run(jobId).changes;
  }

  async cancelUnfinished(jobId: string, reason: MissingReason): Promise<number> {
    return this.items.cancelUnfinished.run(reason, jobId).changes;
  }

  async *iterateItems(jobId: string, order: 'input' | 'completion'): AsyncIterable<ItemRecord> {
    if (order === 'input') {
      for (const row of seqPages((after, limit) => this.items.pageBySeq.all(jobId, after, limit))) {
        yield this.toItemRecord(jobId, row);
      }
      return;
    }
    const completed = keysetPages(
      (after: { time: number; seq: number }, limit) =>
        this.items.completedPage.all(jobId, after.time, after.time, after.seq, limit),
      { time: -1, seq: -1 },
      (row) => ({ time: row.completed_at ?? -1, seq: row.seq }),
    );
    for (const row of completed) yield this.toItemRecord(jobId, row);
    for (const row of seqPages((after, limit) => this.items.notCompletedPage.all(jobId, after, limit))) {
      yield this.toItemRecord(jobId, row);
    }
  }

  async *iterateRejects(jobId: string): AsyncIterable<Reject> {
    const rows = keysetPages(
      (after: number, limit) => this.rejects.page.all(jobId, after, limit),
      0,
      (row) => row.line,
    );
    for (const row of rows) {
      yield row.custom_id === null
        ? { line: row.line, reason: row.reason, raw: row.raw }
        : { line: row.line, custom_id: row.custom_id, reason: row.reason, raw: row.raw };
    }
  }

  async answersFor(jobId: string, customIds: readonly string[]): Promise<Map<string, ItemAnswer>> {
    return this.answers.answersFor(jobId, customIds);
  }

  async recordSinkBatch(jobId: string, batch: SinkBatchRecord): Promise<void> {
    this.db
      .transaction(() => {
        this.requireJob(jobId);
        this.sinkOutbox.recordSinkBatch(jobId, batch);
      })
      .immediate();
  }

  async finishSinkBatch(jobId: string, sink: string, batchNo: number, now: number): Promise<void> {
    this.sinkOutbox.finishSinkBatch(jobId, sink, batchNo, now);
  }

  async sinkProgress(jobId: string, sink: string): Promise<SinkProgress> {
    return this.sinkOutbox.sinkProgress(jobId, sink);
  }

  async sinkStatuses(jobId: string): Promise<SinkStatusRecord[]> {
    return this.sinkOutbox.sinkStatuses(jobId);
  }

  async resetSinkBatches(jobId: string, sink: string): Promise<void> {
    this.sinkOutbox.resetSinkBatches(jobId, sink);
  }

  async setItemChecks(jobId: string, checks: readonly ItemCheckUpdate[]): Promise<void> {
    this.db
      .transaction(() => {
        this.requireJob(jobId);
        this.answers.setItemChecks(jobId, checks);
      })
      .immediate();
  }

  async counts(jobId: string): Promise<JobCounts> {
    return this.activityQueries.counts(jobId);
  }

  async attemptStats(jobId: string): Promise<AttemptStats> {
    return this.attempts.stats(jobId);
  }

  async activity(jobId: string, sinceMs: number): Promise<JobActivity> {
    return this.activityQueries.activity(jobId, sinceMs);
  }

  async recentFailures(jobId: string, limit: number): Promise<RecentFailure[]> {
    return this.activityQueries.recentFailures(jobId, limit);
  }

  async reviewStats(jobId: string): Promise<ReviewStats> {
    return this.activityQueries.reviewStats(jobId);
  }

  async *pendingItems(jobId: string): AsyncIterable<OpenItem> {
    const readParts = (seq: number, length: number): Uint8Array => this.responseParts.read(jobId, seq, length);
    for (const row of seqPages((after, limit) => this.chunks.pendingPage(jobId, after, limit))) {
      yield toOpenItem(row, readParts);
    }
  }

  async createChunk(jobId: string, chunk: NewChunk, seqs: readonly number[]): Promise<Chunk> {
    return this.chunks.create.immediate(jobId, chunk, seqs);
  }

  async updateChunk(jobId: string, chunkNo: number, patch: ChunkPatch): Promise<Chunk> {
    return this.chunks.update.immediate(jobId, chunkNo, patch);
  }

  async listChunks(jobId: string): Promise<Chunk[]> {
    return this.chunks.list(jobId);
  }

  async *chunkItems(jobId: string, chunkNo: number): AsyncIterable<OpenItem> {
    const readParts = (seq: number, length: number): Uint8Array => this.responseParts.read(jobId, seq, length);
    for (const row of seqPages((after, limit) => this.chunks.chunkItemsPage(jobId, chunkNo, after, limit))) {
      yield toOpenItem(row, readParts);
    }
  }

  async mergeChunkResults(jobId: string, chunkNo: number, lines: readonly ChunkLineOutcome[]): Promise<number> {
    return this.chunks.merge.immediate(jobId, chunkNo, lines);
  }

  async closeChunk(jobId: string, chunkNo: number, options: CloseChunkOptions): Promise<CloseChunkResult> {
    return this.chunks.close.immediate(jobId, chunkNo, options);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  /** The item with its answer, read from its parts when it was stored in parts. */
  // ItemBrowseStore (the dashboard, docs/decisions/0038).

  async itemPage(jobId: string, filter: ItemFilter, afterSeq: number, limit: number): Promise<ItemSummary[]> {
    return this.browse.page(jobId, filter, afterSeq, limit);
  }

  async countItems(jobId: string, filter: ItemFilter, cap: number): Promise<number> {
    return this.browse.count(jobId, filter, cap);
  }

  async itemDetail(jobId: string, seq: number): Promise<ItemDetail | undefined> {
    const row = this.browse.item(jobId, seq);
    if (row === undefined) return undefined;
    // The request is the input's line: the job's input is its one copy (read by the caller).
    return {
      item: this.toItemRecord(jobId, row),
      group: row.group_key,
      prompt: row.prompt,
      completedAt: row.completed_at,
      attempts: this.browse.attempts(jobId, seq),
      request: null,
    };
  }

  async attemptHistory(jobId: string, afterRow: number, bucketMs: number): Promise<HistorySince> {
    return this.browse.history(jobId, afterRow, bucketMs);
  }

  private toItemRecord(jobId: string, row: ItemRow): ItemRecord {
    const record = toItemRecord(row);
    if (row.response_bytes !== null) {
      record.responseBody = this.responseParts.read(jobId, row.seq, row.response_bytes);
    }
    return record;
  }

  private requireJob(jobId: string): Job {
    const row = this.jobs.get.get(jobId);
    if (row === undefined) throw jobNotFound(jobId);
    return toJob(row, this.workspace);
  }
}
