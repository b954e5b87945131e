import type { Chunk, ChunkEnd, ChunkState, RemoteCounts } from '../core/chunk.ts';

/**
 * A `chunks` row as both backends' schemas have it (the same columns in SQLite and PostgreSQL), and the chunk it
 * holds: JSON columns parsed, times in milliseconds.
 */
export interface ChunkRow {
  job_id: string;
  chunk_no: number;
  state: string;
  item_count: number;
  bytes: number;
  tokens: number;
  url: string;
  model: string | null;
  file_id: string | null;
  batch_id: string | null;
  raw_status: string | null;
  counts_json: string | null;
  end_kind: string | null;
  errors_json: string | null;
  result_refs_json: string | null;
  created_at: number;
  submit_started_at: number | null;
  submitted_at: number | null;
  ended_at: number | null;
  merged_at: number | null;
}

export function toChunk(row: ChunkRow): Chunk {
  return {
    jobId: row.job_id,
    chunkNo: row.chunk_no,
    state: row.state as ChunkState,
    itemCount: row.item_count,
    bytes: row.bytes,
    tokens: row.tokens,
    url: row.url,
    model: row.model,
    fileId: row.file_id,
    batchId: row.batch_id,
    rawStatus: row.raw_status,
    counts: row.counts_json === null ? null : (JSON.parse(row.counts_json) as RemoteCounts),
    end: row.end_kind as ChunkEnd | null,
    errors: row.errors_json === null ? [] : (JSON.parse(row.errors_json) as Chunk['errors']),
    resultRefs: row.result_refs_json === null ? null : (JSON.parse(row.result_refs_json) as Record<string, string>),
    createdAt: row.created_at,
    submitStartedAt: row.submit_started_at,
    submittedAt: row.submitted_at,
    endedAt: row.ended_at,
    mergedAt: row.merged_at,
  };
}
