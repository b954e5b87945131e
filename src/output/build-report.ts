import { join } from 'node:path';
import type { Chunk } from '../core/chunk.ts';
import type { Job } from '../core/job.ts';
import type { AttemptStats } from '../store/store.ts';
import type { JobCost } from './job-cost.ts';
import { RESULT_FILES } from './result-file-names.ts';
import type { ResultFileCounts } from './write-result-files.ts';

/** report.json (SPEC section 6). Keys are snake_case like the files around it. */
export interface JobReport {
  job_id: string;
  state: string;
  input: { path: string; lines_read: number; fully_read: boolean };
  counts: {
    total: number;
    succeeded: number;
    failed: number;
    missing: number;
    rejected: number;
    left_out_by_limit: number;
    /** Items their group did not need (`target_reached`, docs/decisions/0024); only for a job with groups. */
    skipped?: number;
  };
  limit: number;
  missing_by_reason: Record<string, number>;
  attempts: number;
  retries: number;
  retries_by_cause: Record<string, number>;
  tokens: { input: number; output: number };
  /** Cost in USD from the price table, and what the other mode would have cost (see job-cost.ts). */
  cost?: JobCost;
  wall_time_s: number;
  throughput_rps: number;
  latency_ms: { p50: number | null; p95: number | null };
  files: Record<string, string>;
  finished_at: string;
  /** Batch mode only. */
  batch?: BatchReport;
  /** Only when the job's answers were checked (a data job; docs/decisions/0019). */
  answers?: AnswersReport;
  /** A data job with groups (docs/decisions/0024): per group, its target and where it stands. */
  groups?: GroupReportLine[];
}

/** One group of a data job with `groups:` (docs/decisions/0024), in report.json and `--json`. */
export interface GroupReportLine {
  group: string;
  /** 0: no target. */
  target: number;
  already: number;
  /** Valid rows of this job, without `already`. */
  valid: number;
  in_flight: number;
  /** Rows whose counted answers are all in. */
  decided: number;
  /** Rows not sent: `target_reached` once the run completed. */
  skipped_rows: number;
  pass_rate: number | null;
  state: 'reached' | 'short' | 'open' | 'done';
  shortfall: number;
}

/** What the checks of the answers said, and what re-asking cost. */
export interface AnswersReport {
  /** Answered items by the status of their last answer's check (`valid`, `repaired`, `invalid`, ...). */
  by_status: Record<string, number>;
  /** Items valid (or repaired) in the end, by the re-asks it took: index N, after N re-asks. */
  valid_after_reasks: number[];
  reasks: {
    /** Re-ask requests answered or failed (attempts that sent a re-ask). */
    attempts: number;
    tokens: { input: number; output: number };
    /** Their cost in USD at the job's mode and model (null when unpriced); included in `cost`. */
    cost_usd: number | null;
  };
}

export interface BatchReport {
  provider: string;
  /** Price factor against realtime that the provider's Batch API gives, e.g. 0.5. */
  discount: number;
  chunks: ChunkReportLine[];
}

export interface ChunkReportLine {
  chunk: number;
  state: string;
  items: number;
  bytes: number;
  file_id: string | null;
  batch_id: string | null;
  raw_status: string | null;
  end: string | null;
  request_counts: { total: number; completed: number; failed: number } | null;
  errors: { code: string; message: string }[];
  submitted_at: string | null;
  ended_at: string | null;
  merged_at: string | null;
}

export interface BuildReportOptions {
  job: Job;
  state: string;
  counts: ResultFileCounts;
  stats: AttemptStats;
  limit: number;
  /** Active running time over all runs of the job, in ms. */
  wallMs: number;
  now: number;
  batch?: { provider: string; discount: number; chunks: readonly Chunk[] };
  /** What the job's tokens cost (computed from `stats` by the caller, which knows the model and prices). */
  cost?: JobCost;
  answers?: AnswersReport;
  groups?: GroupReportLine[];
}

export function buildReport(options: BuildReportOptions): JobReport {
  const { job, counts, stats } = options;
  const retries = Object.values(stats.retriesByCause).reduce((sum, count) => sum + count, 0);
  const finished = counts.succeeded + counts.failed;
  const wallSeconds = options.wallMs / 1000;
  const files: Record<string, string> = {};
  for (const [name, file] of Object.entries(RESULT_FILES)) files[name] = join(job.outDir, file);
  return {
    job_id: job.id,
    state: options.state,
    input: { path: job.inputPath, lines_read: job.cursor.line, fully_read: job.cursor.done },
    counts: {
      total: counts.succeeded + counts.failed + counts.missing + counts.skipped,
      succeeded: counts.succeeded,
      failed: counts.failed,
      missing: counts.missing,
      rejected: counts.rejected,
      left_out_by_limit: job.cursor.leftOut,
      ...(options.groups === undefined && counts.skipped === 0 ? {} : { skipped: counts.skipped }),
    },
    limit: options.limit,
    missing_by_reason: counts.missingByReason,
    attempts: stats.attempts,
    retries,
    retries_by_cause: stats.retriesByCause,
    tokens: { input: stats.inputTokens, output: stats.outputTokens },
    ...(options.cost === undefined ? {} : { cost: options.cost }),
    wall_time_s: Math.round(wallSeconds * 1000) / 1000,
    throughput_rps: wallSeconds > 0 ? Math.round((finished / wallSeconds) * 10) / 10 : 0,
    latency_ms: { p50: stats.latencyP50Ms, p95: stats.latencyP95Ms },
    files,
    finished_at: new Date(options.now).toISOString(),
    ...(options.batch === undefined ? {} : { batch: toBatchReport(options.batch) }),
    ...(options.groups === undefined ? {} : { groups: options.groups }),
    ...(options.answers === undefined ? {} : { answers: options.answers }),
  };
}

function toBatchReport(batch: NonNullable<BuildReportOptions['batch']>): BatchReport {
  const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
  return {
    provider: batch.provider,
    discount: batch.discount,
    chunks: batch.chunks.map((chunk) => ({
      chunk: chunk.chunkNo,
      state: chunk.state,
      items: chunk.itemCount,
      bytes: chunk.bytes,
      file_id: chunk.fileId,
      batch_id: chunk.batchId,
      raw_status: chunk.rawStatus,
      end: chunk.end,
      request_counts: chunk.counts,
      errors: chunk.errors,
      submitted_at: iso(chunk.submittedAt),
      ended_at: iso(chunk.endedAt),
      merged_at: iso(chunk.mergedAt),
    })),
  };
}
