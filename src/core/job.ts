import type { JobState } from './states.ts';

/**
 * Enough of the input file to notice it changed (see docs/decisions/0010): size, sampled
 * blocks and mtime are checked on every resume; the whole-content hash only when the mtime moved.
 */
export interface InputFingerprint {
  size: number;
  /** sha256 over sampled blocks (head, tail and evenly spaced blocks). */
  sample: string;
  /** The file's mtime when the job was created; null for jobs of an older version. */
  mtimeMs?: number | null;
  /** sha256 of the whole file, taken while the first read streamed it to its end; null until then. */
  sha256?: string | null;
}

/** How far the streaming reader got; resume continues reading from here. */
export interface IngestCursor {
  /** Next byte to read. */
  byte: number;
  /** Number of lines read so far (the next line is `line + 1`). */
  line: number;
  /** Next item seq. */
  seq: number;
  /** Items accepted so far (within the limit). */
  accepted: number;
  /** Valid items beyond `limit`, left out. */
  leftOut: number;
  rejected: number;
  /** The whole file has been read. */
  done: boolean;
}

export interface JobLease {
  pid: number;
  host: string;
  token: string;
  heartbeatAt: number;
}

/**
 * A job's stored configuration: the resolved config without secrets, as JSON (config/stored-config.ts),
 * snake_case as in the file. The keys read back from the store are typed here; the rest is only handed
 * back to `fromStoredConfig`, which validates it again.
 */
export interface JobConfig {
  readonly [key: string]: unknown;
  readonly mode?: 'realtime' | 'batch';
  readonly model?: string;
  /** 0 = no limit. */
  readonly limit?: number;
  readonly api_key_env?: string;
  /** `format` is the detected input format once the first line was read. */
  readonly input?: { readonly [key: string]: unknown; readonly format?: string };
  /** US dollars per million tokens, by model. */
  readonly prices?: Readonly<Record<string, { readonly input_per_mtok: number; readonly output_per_mtok: number }>>;
}

export interface Job {
  id: string;
  state: JobState;
  createdAt: number;
  updatedAt: number;
  inputPath: string;
  inputFingerprint: InputFingerprint;
  /** Resolved configuration without secrets, as JSON. */
  config: JobConfig;
  outDir: string;
  cursor: IngestCursor;
  /** Time spent running, summed over runs (resumes), in ms. */
  activeMs: number;
  finishedAt: number | null;
  /** Set by `cancel JOB`; whoever runs the job cancels it (batch mode: remote batches too). */
  cancelRequestedAt: number | null;
  lease: JobLease | null;
  /** What a data job keeps besides its config (prompts hash, manifest path); null for a job of request lines. */
  data: JobData | null;
}

/** A data job's own record (issue 12): what `validate JOB` and `integrate JOB` read back. */
export interface JobData {
  readonly [key: string]: unknown;
  /** `PromptSet.hash` of the prompts the job was prepared with. */
  readonly promptsHash?: string;
  /** The job's `manifest.json` (prep/manifest.ts). */
  readonly manifestPath?: string;
}

/** Item counts by outcome, as status and the report show them. */
export interface JobCounts {
  total: number;
  pending: number;
  retryWait: number;
  succeeded: number;
  failed: number;
  cancelled: number;
}

/** Sums item counts by state into `JobCounts`; in-flight items (batch mode) count as pending. */
export function tallyJobCounts(rows: Iterable<{ state: string; count: number }>): JobCounts {
  const counts: JobCounts = { total: 0, pending: 0, retryWait: 0, succeeded: 0, failed: 0, cancelled: 0 };
  for (const row of rows) {
    counts.total += row.count;
    if (row.state === 'pending' || row.state === 'in_flight') counts.pending += row.count;
    else if (row.state === 'retry_wait') counts.retryWait += row.count;
    else if (row.state === 'succeeded') counts.succeeded += row.count;
    else if (row.state === 'failed') counts.failed += row.count;
    else if (row.state === 'cancelled') counts.cancelled += row.count;
  }
  return counts;
}
