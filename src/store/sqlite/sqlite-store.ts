import { dirname, resolve } from 'node:path';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import type { IngestCursor, Job, JobCounts, JobLease } from '../../core/job.ts';
import type { ItemLocation, ItemRecord, MissingReason } from '../../core/item.ts';
import { REJECT_RAW_MAX_BYTES, type Reject } from '../../core/reject.ts';
import type { JobState } from '../../core/states.ts';
import { assertJobTransition } from '../../core/states.ts';
import { StoreError } from '../../errors/index.ts';
import { isHolderLive } from '../../util/is-holder-live.ts';
import { isProcessAlive } from '../../util/is-process-alive.ts';
import type {
  AttemptStats,
  ChunkLineOutcome,
  ChunkPatch,
  CloseChunkOptions,
  CloseChunkResult,
  IngestBatch,
  JobActivity,
  RecentFailure,
  IngestResult,
  NewChunk,
  NewJob,
  JobProgressBatch,
  Store,
} from '../store.ts';
import type { Chunk } from '../../core/chunk.ts';
import { prepareChunkOperations } from './queries/chunks.ts';
import { prepareActivityQueries } from './queries/activity.ts';
import { openDatabase } from './open-database.ts';
import { prepareAttemptQueries } from './queries/attempts.ts';
import { prepareItemQueries, PAGE_SIZE, toItemLocation, toItemRecord, type ItemRow } from './queries/items.ts';
import { prepareResponsePartQueries } from './queries/response-parts.ts';
import { prepareJobQueries, toJob } from './queries/jobs.ts';
import { prepareRejectQueries } from './queries/rejects.ts';
import { jobNotFound } from '../require-job.ts';
import { toStoredPath } from './workspace-paths.ts';

export interface SqliteStoreOptions {
  /** Path of the database file; the workspace keeps it as `state.db`. */
  path: string;
  /** Whether a pid on this host is still running; injected so tests can fake a dead holder. */
  isProcessAlive?: (pid: number) => boolean;
}

const EMPTY_CURSOR: IngestCursor = { byte: 0, line: 0, seq: 0, accepted: 0, leftOut: 0, rejected: 0, done: false };

function cutRaw(raw: string): string {
  if (raw.length <= REJECT_RAW_MAX_BYTES / 4) return raw;
  const bytes = Buffer.from(raw, 'utf8');
  if (bytes.length <= REJECT_RAW_MAX_BYTES) return raw;
  // Decoding a cut buffer may end in a replacement char; drop it rather than emit half a character.
  return bytes
    .subarray(0, REJECT_RAW_MAX_BYTES)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
}

/**
 * The embedded store: one SQLite file per workspace, WAL so readers (`status`) run beside
 * the writer. All writes of one contract call run in one transaction; the engine batches
 * many item updates into one call, so a commit costs one WAL append, not one per request.
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
  private readonly isProcessAlive: (pid: number) => boolean;
  private readonly findCustomIdLine;
  /** The folder of `state.db`: paths inside it are stored relative to it. */
  private readonly workspace: string;

  constructor(options: SqliteStoreOptions) {
    this.db = openDatabase(options.path, { cacheKiB: 32_000 });
    this.jobs = prepareJobQueries(this.db);
    this.items = prepareItemQueries(this.db);
    this.responseParts = prepareResponsePartQueries(this.db);
    this.attempts = prepareAttemptQueries(this.db);
    this.rejects = prepareRejectQueries(this.db);
    this.chunks = prepareChunkOperations(this.db, this.attempts);
    this.activityQueries = prepareActivityQueries(this.db);
    this.findCustomIdLine = this.db.prepare<[string, string], { line_no: number }>(
      'SELECT line_no FROM items WHERE job_id = ? AND custom_id = ?',
    );
    this.isProcessAlive = options.isProcessAlive ?? isProcessAlive;
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
        const job = this.requireJob(jobId);
        assertJobTransition(job.state, state);
        const hasFinished = patch.finishedAt === undefined ? 0 : 1;
        this.jobs.setState.run(
          state,
          Date.now(),
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

  async setJobConfig(jobId: string, config: Record<string, unknown>): Promise<void> {
    this.jobs.setConfig.run(JSON.stringify(config), Date.now(), jobId);
  }

  async acquireLease(jobId: string, lease: JobLease, staleMs: number): Promise<void> {
    this.db
      .transaction(() => {
        const current = this.requireJob(jobId).lease;
        if (current !== null && current.token !== lease.token) {
          if (isHolderLive(current, lease.heartbeatAt, staleMs, this.isProcessAlive)) {
            throw new StoreError(
              'JOB_LOCKED',
              `job ${jobId} is being run by process ${String(current.pid)} on ${current.host}; wait for it to end or stop it (Ctrl-C / kill ${String(current.pid)}) first`,
              { context: { jobId } },
            );
          }
        }
        this.jobs.setLease.run(lease.pid, lease.host, lease.token, lease.heartbeatAt, jobId);
      })
      .immediate();
  }

  async heartbeat(jobId: string, token: string, now: number, maxStepMs: number): Promise<void> {
    this.jobs.heartbeat.run(now, maxStepMs, now, jobId, token);
  }

  async releaseLease(jobId: string, token: string): Promise<void> {
    this.jobs.release.run(jobId, token);
  }

  async ingest(jobId: string, batch: IngestBatch): Promise<IngestResult> {
    const result = this.db
      .transaction((): IngestResult => {
        const cursor = { ...this.requireJob(jobId).cursor, ...batch.position };
        const pending: ItemLocation[] = [];
        const insertReject = (reject: Reject): void => {
          this.rejects.insert.run(jobId, reject.line, reject.custom_id ?? null, reject.reason, cutRaw(reject.raw));
          cursor.rejected += 1;
        };
        for (const reject of batch.rejects) insertReject(reject);
        for (const item of batch.items) {
          const withinLimit = batch.limit === 0 || cursor.accepted < batch.limit;
          const state = withinLimit ? 'pending' : 'cancelled';
          const inserted = this.items.insert.run(
            jobId,
            item.seq,
            item.customId,
            item.lineNo,
            item.byteOffset,
            item.byteLength,
            item.lineHash ?? null,
            state,
            withinLimit ? null : 'limit',
          );
          if (inserted.changes === 0) {
            const first = this.findCustomIdLine.get(jobId, item.customId);
            insertReject({
              line: item.lineNo,
              custom_id: item.customId,
              reason: `duplicate custom_id "${item.customId}" (first seen on line ${String(first?.line_no ?? '?')}); make custom_id unique`,
              raw: item.raw,
            });
          } else if (withinLimit) {
            cursor.accepted += 1;
            pending.push({
              seq: item.seq,
              customId: item.customId,
              lineNo: item.lineNo,
              byteOffset: item.byteOffset,
              byteLength: item.byteLength,
              lineHash: item.lineHash ?? null,
            });
          } else {
            cursor.leftOut += 1;
          }
        }
        this.jobs.setCursor.run(JSON.stringify(cursor), Date.now(), jobId);
        if (batch.inputSha256 !== undefined) this.jobs.setInputHash.run(batch.inputSha256, jobId);
        return { pending, cursor };
      })
      .immediate();
    return result;
  }

  async commitProgress(batches: readonly JobProgressBatch[]): Promise<void> {
    this.db
      .transaction(() => {
        for (const batch of batches) this.commitJobProgress(batch);
      })
      .immediate();
  }

  private commitJobProgress(batch: JobProgressBatch): void {
    const { jobId } = batch;
    for (const attempt of batch.attempts) this.attempts.record(jobId, attempt);
    for (const update of batch.updates) {
      switch (update.state) {
        case 'succeeded': {
          // An answer that came as bytes (a large one) goes in parts: never one copy of it whole (migration 0004).
          const { body } = update;
          if (typeof body !== 'string') this.responseParts.write(jobId, update.seq, body);
          this.items.succeed.run(
            update.attempts,
            update.statusCode,
            update.requestId,
            typeof body === 'string' ? body : null,
            typeof body === 'string' ? null : body.length,
            update.completedAt,
            jobId,
            update.seq,
          );
          break;
        }
        case 'failed':
          this.items.fail.run(
            update.attempts,
            JSON.stringify(update.error),
            update.error.status ?? null,
            update.completedAt,
            jobId,
            update.seq,
          );
          break;
        case 'retry_wait':
          this.items.retryWait.run(
            update.attempts,
            JSON.stringify(update.error),
            update.nextAttemptAt,
            jobId,
            update.seq,
          );
          break;
        case 'cancelled':
          this.items.cancel.run(update.attempts, update.missingReason, jobId, update.seq);
          break;
      }
    }
  }

  async *iterateLocations(jobId: string): AsyncIterable<ItemLocation> {
    for (const row of this.pages(jobId, (after) => this.items.locationPage.all(jobId, after, PAGE_SIZE))) {
      yield toItemLocation(row);
    }
  }

  async *iterateUnfinished(jobId: string): AsyncIterable<ItemLocation & { attempts: number }> {
    for (const row of this.pages(jobId, (after) => this.items.unfinishedPage.all(jobId, after, PAGE_SIZE))) {
      yield { ...toItemLocation(row), attempts: row.attempts };
    }
  }

  async reopenItems(jobId: string, from: 'failed' | 'cancelled'): Promise<number> {
    const statement = from === 'failed' ? this.items.reopenFailed : this.items.reopenCancelled;
    return statement.run(jobId).changes;
  }

  async cancelUnfinished(jobId: string, reason: MissingReason): Promise<number> {
    return this.items.cancelUnfinished.run(reason, jobId).changes;
  }

  async *iterateItems(jobId: string, order: 'input' | 'completion'): AsyncIterable<ItemRecord> {
    if (order === 'input') {
      for (const row of this.pages(jobId, (after) => this.items.pageBySeq.all(jobId, after, PAGE_SIZE))) {
        yield this.toItemRecord(jobId, row);
      }
      return;
    }
    // Yield to the event loop between the two passes; the store's contract is async.
    let afterTime = -1;
    let afterSeq = -1;
    for (;;) {
      const rows = this.items.completedPage.all(jobId, afterTime, afterTime, afterSeq, PAGE_SIZE);
      for (const row of rows) yield this.toItemRecord(jobId, row);
      const last = rows.at(-1);
      if (last === undefined || rows.length < PAGE_SIZE) break;
      afterTime = last.completed_at ?? afterTime;
      afterSeq = last.seq;
    }
    for (const row of this.pages(jobId, (after) => this.items.notCompletedPage.all(jobId, after, PAGE_SIZE))) {
      yield this.toItemRecord(jobId, row);
    }
  }

  /** The item with its answer, read from its parts when it was stored in parts. */
  private toItemRecord(jobId: string, row: ItemRow): ItemRecord {
    const record = toItemRecord(row);
    if (row.response_bytes !== null) {
      record.responseBody = this.responseParts.read(jobId, row.seq, row.response_bytes);
    }
    return record;
  }

  async *iterateRejects(jobId: string): AsyncIterable<Reject> {
    let after = 0;
    for (;;) {
      const rows = this.rejects.page.all(jobId, after, PAGE_SIZE);
      for (const row of rows) {
        yield row.custom_id === null
          ? { line: row.line, reason: row.reason, raw: row.raw }
          : { line: row.line, custom_id: row.custom_id, reason: row.reason, raw: row.raw };
      }
      const last = rows.at(-1);
      if (last === undefined || rows.length < PAGE_SIZE) return;
      after = last.line;
    }
  }

  async counts(jobId: string): Promise<JobCounts> {
    const counts: JobCounts = { total: 0, pending: 0, retryWait: 0, succeeded: 0, failed: 0, cancelled: 0 };
    for (const row of this.items.countByState.all(jobId)) {
      counts.total += row.count;
      if (row.state === 'pending' || row.state === 'in_flight') counts.pending += row.count;
      else if (row.state === 'retry_wait') counts.retryWait += row.count;
      else if (row.state === 'succeeded') counts.succeeded += row.count;
      else if (row.state === 'failed') counts.failed += row.count;
      else if (row.state === 'cancelled') counts.cancelled += row.count;
    }
    return counts;
  }

  async activity(jobId: string, sinceMs: number): Promise<JobActivity> {
    return this.activityQueries.activity(jobId, sinceMs);
  }

  async recentFailures(jobId: string, limit: number): Promise<RecentFailure[]> {
    return this.activityQueries.recentFailures(jobId, limit);
  }

  async attemptStats(jobId: string): Promise<AttemptStats> {
    return this.attempts.stats(jobId);
  }

  async pendingItems(jobId: string, afterSeq: number, limit: number): Promise<(ItemLocation & { attempts: number })[]> {
    return this.chunks.pendingPage(jobId, afterSeq, limit);
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

  async chunkItems(
    jobId: string,
    chunkNo: number,
    afterSeq: number,
    limit: number,
  ): Promise<(ItemLocation & { attempts: number })[]> {
    return this.chunks.chunkItemsPage(jobId, chunkNo, afterSeq, limit);
  }

  async mergeChunkResults(jobId: string, chunkNo: number, lines: readonly ChunkLineOutcome[]): Promise<number> {
    return this.chunks.merge.immediate(jobId, chunkNo, lines);
  }

  async closeChunk(jobId: string, chunkNo: number, options: CloseChunkOptions): Promise<CloseChunkResult> {
    return this.chunks.close.immediate(jobId, chunkNo, options);
  }

  async requestCancel(jobId: string, now: number): Promise<void> {
    this.requireJob(jobId);
    this.chunks.requestCancel(jobId, now);
  }

  async clearCancelRequest(jobId: string): Promise<void> {
    this.chunks.clearCancel(jobId);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  /** Keyset pagination: no statement stays open across a yield, so writes can interleave. */
  private *pages(jobId: string, fetchPage: (afterSeq: number) => ItemRow[]): Generator<ItemRow> {
    let after = -1;
    for (;;) {
      const rows = fetchPage(after);
      yield* rows;
      const last = rows.at(-1);
      if (last === undefined || rows.length < PAGE_SIZE) return;
      after = last.seq;
    }
  }

  private requireJob(jobId: string): Job {
    const row = this.jobs.get.get(jobId);
    if (row === undefined) throw jobNotFound(jobId);
    return toJob(row, this.workspace);
  }
}
