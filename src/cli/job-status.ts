import { join } from 'node:path';
import type { Chunk } from '../core/chunk.ts';
import type { Job, JobCounts } from '../core/job.ts';
import { describeChunk } from './render/batch-progress.ts';
import { isLeaseLive } from '../engine/lease.ts';
import { RESULT_FILES } from '../output/result-file-names.ts';
import type { Store } from '../store/store.ts';
import { knownSecrets, redactObject } from '../util/redact.ts';

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
  rejected: number;
  left_out_by_limit: number;
  runner: { pid: number; host: string; heartbeat_age_ms: number } | null;
  files: Record<string, string>;
  config: Record<string, unknown>;
  cancel_requested: boolean;
  /** Batch mode: every chunk, with the state the progress line shows (`#3 in_progress 120/500`). */
  chunks?: ChunkStatus[];
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
}

export function effectiveState(job: Job, now: number): string {
  if ((job.state === 'running' || job.state === 'finalizing') && !isLeaseLive(job.lease, now)) return 'interrupted';
  return job.state;
}

export async function readJobStatus(store: Store, job: Job, now: number): Promise<JobStatus> {
  const counts: JobCounts = await store.counts(job.id);
  const files: Record<string, string> = {};
  for (const [name, file] of Object.entries(RESULT_FILES)) files[name] = join(job.outDir, file);
  return {
    job_id: job.id,
    state: effectiveState(job, now),
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
      missing: counts.cancelled,
    },
    input_fully_read: job.cursor.done,
    rejected: job.cursor.rejected,
    left_out_by_limit: job.cursor.leftOut,
    runner:
      job.lease === null
        ? null
        : { pid: job.lease.pid, host: job.lease.host, heartbeat_age_ms: Math.max(0, now - job.lease.heartbeatAt) },
    files,
    config: redactObject(job.config, knownSecrets()),
    cancel_requested: job.cancelRequestedAt !== null,
    ...(job.config['mode'] === 'batch' ? { chunks: (await store.listChunks(job.id)).map(toChunkStatus) } : {}),
  };
}

function toChunkStatus(chunk: Chunk): ChunkStatus {
  return {
    chunk: chunk.chunkNo,
    state: chunk.state,
    shown_as: describeChunk(chunk),
    items: chunk.itemCount,
    file_id: chunk.fileId,
    batch_id: chunk.batchId,
    raw_status: chunk.rawStatus,
    request_counts: chunk.counts,
  };
}
