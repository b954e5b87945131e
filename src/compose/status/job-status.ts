import { join } from 'node:path';
import type { Chunk } from '../../core/chunk.ts';
import { tallyJobCounts, type Job, type JobCounts } from '../../core/job.ts';
import { describeChunk } from './describe-chunk.ts';
import { effectiveState } from '../../engine/lease.ts';
import { countLinesFrom } from '../../input/count-lines.ts';
import { RESULT_FILES } from '../../output/result-file-names.ts';
import { priceJobTokens } from '../../output/job-cost.ts';
import { isCovered } from '../../output/join-prompt-answers.ts';
import type {
  ActivityReads,
  AnswerCount,
  ChunkStore,
  ItemStore,
  JobActivity,
  SinkOutboxStore,
} from '../../store/store.ts';
import { estimateGroupEta, type GroupEtaState } from './group-eta.ts';
import { toPromptStatuses, type PromptStatus } from './prompt-status.ts';
import { dataJobRecordOf } from '../data-job-record.ts';
import { knownSecrets, redactObject } from '../../util/redact.ts';
import type { SliceCounts, WorkSliceStore } from '../../store/work-slice-store.ts';

/** A job as `status --json` shows it: never a secret, `interrupted` for a dead runner. */
export interface JobStatus {
  job_id: string;
  state: string;
  input: string;
  out_dir: string;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
  counts: { total: number; pending: number; retry_wait: number; succeeded: number; failed: number; missing: number };
  input_fully_read: boolean;
  /**
   * How much of the input file has been read, 0 to 100, while it is still being read (null once it is
   * read whole): until then `counts.total` is the items found so far, not the job's total.
   */
  input_read_percent: number | null;
  /**
   * Lines with content after the part of the input the job has read: resume reads and sends them.
   * Counted only for a stopped job that resume would carry on (null otherwise, or when unknown).
   */
  unread_lines: number | null;
  /**
   * What `resume` will send for a job that ended or was stopped: its unfinished items (pending,
   * retry_wait, and missing ones it reopens: all but those left out by `limit`) and its unread
   * lines within `limit`, each once, besides their retries. Null while it runs.
   */
  to_send: number | null;
  rejected: number;
  left_out_by_limit: number;
  runner: { pid: number; host: string; heartbeat_age_ms: number } | null;
  files: Record<string, string>;
  config: Record<string, unknown>;
  cancel_requested: boolean;
  /** Items finished per second over the last minute (0 when nothing finished in it). */
  rate_rps: number;
  /**
   * Seconds to go at that rate while running; null when unknown: not running, or the input not read
   * whole yet (the items still unread would make any figure too low).
   */
  eta_s: number | null;
  /** Seconds since the last item finished; null before the first. */
  last_progress_age_s: number | null;
  /** Batch mode: every chunk, with the state the progress line shows (`#3 in_progress 120/500`). */
  chunks?: ChunkStatus[];
  /**
   * A data job with groups (docs/decisions/0024): its items per group, read from the store (`items.group_key`). The
   * row figures (valid rows against the target, shortfall) are in report.json's `groups` once a run ends; these are
   * item counts, live. `counts.missing` leaves out `skipped` (items no group needed: `target_reached`).
   */
  groups?: GroupStatus[];
  /** A data job whose items carry their prompt (jobs made since schema 12): its items per prompt. */
  prompts?: PromptStatus[];
  /** Items no group needed (`target_reached`); only for a job with groups. */
  skipped?: number;
  /** A data job with `sinks:` (docs/decisions/0026, 0029): each sink as its outbox in the store has it. */
  sinks?: SinkStatus[];
  /** A job run in slices by workers of a shared store (docs/decisions/0031): its slices by state. */
  slices?: SliceCounts;
}

/** One sink of a data job as `status --json` and `monitor --json` show it. */
export interface SinkStatus {
  name: string;
  /** What the sink takes: `valid` rows, or `all`. */
  rows: 'valid' | 'all';
  /** Rows in the sink from this job (done batches, earlier runs' included), in how many batches. */
  rows_written: number;
  batches: number;
  /** Rows before this index (source order) are in the sink. */
  done_through_row: number;
  /** Batches recorded but not confirmed: being written now, or left by a crash and made again by the next walk. */
  pending_batches: number;
  /** When the last batch was confirmed written, and how long ago in seconds; null before the first. */
  last_batch_at: string | null;
  last_batch_age_s: number | null;
  /**
   * Rows settled that the sink wants but does not hold yet: valid answers (`rows: valid`; every settled or skipped
   * answer for `all`) minus `rows_written`, at least 0. Null when a row makes several requests (the store counts
   * answers, not rows; docs/decisions/0029).
   */
  lag_rows: number | null;
}

/** One group of a data job as `status --json` shows it: its target (rows) and its items by where they stand. */
export interface GroupStatus {
  group: string;
  /** Valid rows wanted (`groups.targets`, `"*"` for the others); 0: no target. */
  target: number;
  already: number;
  items: number;
  succeeded: number;
  /** Succeeded items whose check is valid or repaired (or that were not checked). */
  valid_answers: number;
  failed: number;
  /** Pending or waiting to retry. */
  open: number;
  /** Not needed: the group reached its target (`target_reached`). */
  skipped: number;
  /** Tokens of every attempt of its items so far, and their cost at the job's model and mode (null: no price). */
  tokens: { input: number; output: number };
  cost_usd: number | null;
  /** Valid answers per second over the last minute (0 when none came in). */
  recent_valid_per_s: number;
  /**
   * When the group should be done (`group-eta.ts`, docs/decisions/0029): `estimated` with `eta_s` seconds to go,
   * `done` (target reached, or no target and nothing open), `short` (nothing left to send, below target), or
   * `unknown` (not running, nothing came in lately, or rows that make several requests); `eta_s` is null unless
   * `estimated`.
   */
  eta: GroupEtaState;
  eta_s: number | null;
}

export interface ChunkStatus {
  chunk: number;
  state: string;
  shown_as: string;
  items: number;
  file_id: string | null;
  batch_id: string | null;
  raw_status: string | null;
  request_counts: { total: number; completed: number; failed: number } | null;
  /** When its batch was created, and when the provider will expire it unless it ends first (its completion window). */
  submitted_at: string | null;
  expires_at: string | null;
}

const RATE_WINDOW_MS = 60_000;

export interface JobStatusOptions {
  /**
   * `false` leaves each group's tokens and cost out (zero, null): they are summed over every attempt of the job,
   * which a view that does not show them (`monitor` without `--by group`) need not pay on every refresh.
   */
  groupTokens?: boolean;
  /**
   * Whether each data row makes one request (one prompt, one sample: `answersAreRows`), so answers counted in the
   * store are rows: only then are a group's ETA and a sink's lag known live. False when unset.
   */
  answersAreRows?: boolean;
  /**
   * The job's recent activity, when the caller knows it already (the dashboard follows the attempt ledger): the store
   * is not asked, which on SQLite reads every item of the job.
   */
  activity?: JobActivity | undefined;
}

export type JobStatusStore = ActivityReads &
  ChunkStore &
  Pick<ItemStore, 'answerCounts' | 'groupTokens'> &
  Pick<SinkOutboxStore, 'sinkStatuses'> &
  Partial<Pick<WorkSliceStore, 'sliceCounts'>>;

export async function readJobStatus(
  store: JobStatusStore,
  job: Job,
  now: number,
  options: JobStatusOptions = {},
): Promise<JobStatus> {
  const sinkConfigs = configuredSinks(job);
  const dataJob = dataJobRecordOf(job) !== undefined;
  const windowS = Math.max(1, Math.min(RATE_WINDOW_MS, now - job.createdAt) / 1000);
  const answers =
    job.config['groups'] === undefined && sinkConfigs.length === 0 && !dataJob
      ? []
      : await store.answerCounts(job.id, now - RATE_WINDOW_MS);
  // The answers' counts hold every item by state already: the job's counts need no second pass.
  const counts: JobCounts = answers.length > 0 ? tallyJobCounts(answers) : await store.counts(job.id);
  const state = effectiveState(job, now);
  const rowsKnown = options.answersAreRows ?? false;
  const groups =
    job.config['groups'] === undefined
      ? undefined
      : await readGroups(store, job, answers, {
          withTokens: options.groupTokens ?? true,
          rowsKnown,
          windowS,
          running: state === 'running',
        });
  const skipped = groups?.reduce((sum, group) => sum + group.skipped, 0) ?? 0;
  const prompts = dataJob ? toPromptStatuses(answers) : [];
  const sinks =
    sinkConfigs.length === 0 ? undefined : await readSinks(store, job, sinkConfigs, answers, now, rowsKnown);
  const slices = await store.sliceCounts?.(job.id);
  const activity = options.activity ?? (await store.activity(job.id, now - RATE_WINDOW_MS));
  const rate = Math.round((activity.finishedSince / windowS) * 10) / 10;
  const left = counts.pending + counts.retryWait;
  const unread = await countUnread(job, state);
  const files: Record<string, string> = {};
  for (const [name, file] of Object.entries(RESULT_FILES)) files[name] = join(job.outDir, file);
  return {
    job_id: job.id,
    state,
    input: job.inputPath,
    out_dir: job.outDir,
    created_at: new Date(job.createdAt).toISOString(),
    updated_at: new Date(job.updatedAt).toISOString(),
    finished_at: job.finishedAt === null ? null : new Date(job.finishedAt).toISOString(),
    counts: {
      total: counts.total - job.cursor.leftOut,
      pending: counts.pending,
      retry_wait: counts.retryWait,
      succeeded: counts.succeeded,
      failed: counts.failed,
      missing: counts.cancelled - skipped,
    },
    input_fully_read: job.cursor.done,
    input_read_percent: job.cursor.done ? null : readPercent(job),
    unread_lines: unread,
    to_send: RESUMABLE_STATES.has(state)
      ? left + counts.cancelled - job.cursor.leftOut + Math.min(unread ?? 0, room(job))
      : null,
    rejected: job.cursor.rejected,
    left_out_by_limit: job.cursor.leftOut,
    runner:
      job.lease === null
        ? null
        : { pid: job.lease.pid, host: job.lease.host, heartbeat_age_ms: Math.max(0, now - job.lease.heartbeatAt) },
    files,
    config: redactObject(job.config, knownSecrets()),
    cancel_requested: job.cancelRequestedAt !== null,
    rate_rps: rate,
    eta_s: state === 'running' && rate > 0 && job.cursor.done ? Math.ceil(left / rate) : null,
    last_progress_age_s:
      activity.lastFinishedAt === null ? null : Math.max(0, Math.round((now - activity.lastFinishedAt) / 1000)),
    ...(job.config.mode === 'batch'
      ? { chunks: (await store.listChunks(job.id)).map((chunk) => toChunkStatus(chunk, completionWindowMs(job))) }
      : {}),
    ...(groups === undefined ? {} : { groups, skipped }),
    ...(prompts.length === 0 ? {} : { prompts }),
    ...(sinks === undefined ? {} : { sinks }),
    ...(slices === undefined || slices.open + slices.done === 0 ? {} : { slices }),
  };
}

/** The stored config's `sinks:` as the schema made it (named, with defaults): each one's name and the rows it takes. */
function configuredSinks(job: Job): { name: string; rows: 'valid' | 'all' }[] {
  const sinks = job.config['sinks'];
  if (!Array.isArray(sinks)) return [];
  return (sinks as { name?: unknown; rows?: unknown }[])
    .filter((sink) => typeof sink.name === 'string')
    .map((sink) => ({ name: sink.name as string, rows: sink.rows === 'all' ? 'all' : 'valid' }));
}

/** A succeeded item's answer counts (valid, repaired, or not checked): the rule of groups, join-back and sinks. */
function countsAsValid(row: AnswerCount): boolean {
  return row.state === 'succeeded' && (row.checkStatus === null || isCovered(row.checkStatus));
}

async function readSinks(
  store: Pick<SinkOutboxStore, 'sinkStatuses'>,
  job: Job,
  sinks: readonly { name: string; rows: 'valid' | 'all' }[],
  answers: readonly AnswerCount[],
  now: number,
  rowsKnown: boolean,
): Promise<SinkStatus[]> {
  const records = new Map((await store.sinkStatuses(job.id)).map((record) => [record.sink, record]));
  let valid = 0;
  let settled = 0;
  for (const row of answers) {
    if (countsAsValid(row)) valid += row.count;
    // A walk passes every row once its answers are settled; cancelled ones (skipped, interrupted) at the run's end.
    if (row.state === 'succeeded' || row.state === 'failed' || row.state === 'cancelled') settled += row.count;
  }
  return sinks.map((sink) => {
    const record = records.get(sink.name);
    const written = record?.rowsWritten ?? 0;
    const lastDoneAt = record?.lastDoneAt ?? null;
    return {
      name: sink.name,
      rows: sink.rows,
      rows_written: written,
      batches: record?.batchesDone ?? 0,
      done_through_row: record?.doneThroughRow ?? 0,
      pending_batches: record?.pendingBatches ?? 0,
      last_batch_at: lastDoneAt === null ? null : new Date(lastDoneAt).toISOString(),
      last_batch_age_s: lastDoneAt === null ? null : Math.max(0, Math.round((now - lastDoneAt) / 1000)),
      lag_rows: rowsKnown ? Math.max(0, (sink.rows === 'all' ? settled : valid) - written) : null,
    };
  });
}

interface GroupReadOptions {
  withTokens: boolean;
  rowsKnown: boolean;
  windowS: number;
  running: boolean;
}

async function readGroups(
  store: Pick<ItemStore, 'groupTokens'>,
  job: Job,
  answers: readonly AnswerCount[],
  options: GroupReadOptions,
): Promise<GroupStatus[]> {
  // The stored config is plain JSON: its `groups` as the schema made it (targets, already, with defaults).
  const config = job.config['groups'] as
    { targets?: Record<string, number>; already?: Record<string, number> } | undefined;
  const byName = new Map<string, GroupStatus>();
  const recent = new Map<string, { valid: number; settled: number }>();
  for (const row of answers) {
    if (row.group === null) continue;
    let group = byName.get(row.group);
    if (group === undefined) {
      group = {
        group: row.group,
        target: config?.targets?.[row.group] ?? config?.targets?.['*'] ?? 0,
        already: config?.already?.[row.group] ?? 0,
        items: 0,
        succeeded: 0,
        valid_answers: 0,
        failed: 0,
        open: 0,
        skipped: 0,
        tokens: { input: 0, output: 0 },
        cost_usd: null,
        recent_valid_per_s: 0,
        eta: 'unknown',
        eta_s: null,
      };
      byName.set(row.group, group);
      recent.set(row.group, { valid: 0, settled: 0 });
    }
    const lately = recent.get(row.group);
    group.items += row.count;
    if (lately !== undefined && (row.state === 'succeeded' || row.state === 'failed')) lately.settled += row.recent;
    if (row.state === 'succeeded') {
      group.succeeded += row.count;
      if (countsAsValid(row)) {
        group.valid_answers += row.count;
        if (lately !== undefined) lately.valid += row.recent;
      }
    } else if (row.state === 'failed') group.failed += row.count;
    else if (row.state === 'cancelled' && row.missingReason === 'target_reached') group.skipped += row.count;
    else if (row.state !== 'cancelled') group.open += row.count;
  }
  for (const group of byName.values()) {
    const lately = recent.get(group.group) ?? { valid: 0, settled: 0 };
    group.recent_valid_per_s = Math.round((lately.valid / options.windowS) * 10) / 10;
    const eta = estimateGroupEta({
      target: group.target,
      already: group.already,
      validRows: options.rowsKnown ? group.valid_answers : null,
      open: group.open,
      recentValid: lately.valid,
      recentSettled: lately.settled,
      windowS: options.windowS,
      running: options.running,
      inputFullyRead: job.cursor.done,
    });
    group.eta = eta.state;
    group.eta_s = eta.seconds;
  }
  for (const row of options.withTokens ? await store.groupTokens(job.id) : []) {
    const group = byName.get(row.group);
    if (group === undefined) continue;
    group.tokens = { input: row.inputTokens, output: row.outputTokens };
    group.cost_usd = priceJobTokens(job, typeof job.config.model === 'string' ? job.config.model : null, row);
  }
  return [...byName.values()];
}

function readPercent(job: Job): number {
  const size = job.inputFingerprint.size;
  return size <= 0 ? 0 : Math.min(99, Math.floor((job.cursor.byte / size) * 100));
}

/** States `resume` carries on from, where what it will send holds still. */
const RESUMABLE_STATES = new Set(['interrupted', 'cancelled', 'failed', 'completed']);

/**
 * The unread lines of a stopped job. The engine reads the input only a window ahead of the
 * requests, so a killed job has lines it never read: `status` counts them, so that what it
 * says resume will send is what resume sends.
 */
async function countUnread(job: Job, state: string): Promise<number | null> {
  if (job.cursor.done) return 0;
  if (!RESUMABLE_STATES.has(state)) return null;
  try {
    return await countLinesFrom(job.inputPath, job.cursor.byte);
  } catch {
    return null;
  }
}

/** Items the job may still accept under `limit` (0 = no limit). */
function room(job: Job): number {
  const limit = job.config.limit ?? 0;
  return Number.isFinite(limit) && limit > 0 ? Math.max(0, limit - job.cursor.accepted) : Number.POSITIVE_INFINITY;
}

/** The batches' completion window (`batch.completion_window`, `24h` unless set; Anthropic's is 24 h), in ms. */
function completionWindowMs(job: Job): number | null {
  const batch = job.config['batch'] as { completion_window?: unknown } | undefined;
  const window = typeof batch?.completion_window === 'string' ? batch.completion_window : '24h';
  const hours = /^(\d+)h$/.exec(window);
  return hours === null ? null : Number(hours[1]) * 3_600_000;
}

function toChunkStatus(chunk: Chunk, windowMs: number | null): ChunkStatus {
  const open = chunk.state === 'submitted' && chunk.submittedAt !== null && windowMs !== null;
  return {
    chunk: chunk.chunkNo,
    state: chunk.state,
    shown_as: describeChunk(chunk),
    items: chunk.itemCount,
    file_id: chunk.fileId,
    batch_id: chunk.batchId,
    raw_status: chunk.rawStatus,
    request_counts: chunk.counts,
    submitted_at: chunk.submittedAt === null ? null : new Date(chunk.submittedAt).toISOString(),
    expires_at: open ? new Date((chunk.submittedAt ?? 0) + (windowMs ?? 0)).toISOString() : null,
  };
}
