/**
 * A chunk: the slice of a job's items uploaded and submitted as one remote batch (batch
 * mode). Every resubmission of failed or expired lines is a new chunk with a new number, so
 * (job id, chunk number) names one remote batch for life and tags its remote objects.
 *
 * Chunk states, each committed before the next remote step:
 * - planned:   items assigned; nothing known to exist remotely (an upload may have
 *              happened just before a crash: resume looks for it by tag before uploading).
 * - uploaded:  the input file id is committed (providers without files skip this).
 * - submitted: the batch id is committed; polled until the provider says it ended.
 * - ended:     the provider's final status is committed; results not merged yet.
 * - merged:    every line's result is committed; lines that failed, expired or never came
 *              back are pending again (for a new chunk) or failed for good.
 */
export const CHUNK_STATES = ['planned', 'uploaded', 'submitted', 'ended', 'merged'] as const;
export type ChunkState = (typeof CHUNK_STATES)[number];

/** How the remote batch ended, as far as the engine cares. */
export type ChunkEnd = 'completed' | 'failed' | 'expired' | 'cancelled';

export interface RemoteCounts {
  total: number;
  completed: number;
  failed: number;
}

export interface Chunk {
  jobId: string;
  chunkNo: number;
  state: ChunkState;
  itemCount: number;
  bytes: number;
  /** Estimated tokens this chunk holds in the provider's enqueued-token budget. */
  tokens: number;
  /** The endpoint every line targets, as the input wrote it (`/v1/chat/completions`). */
  url: string;
  model: string | null;
  fileId: string | null;
  batchId: string | null;
  /** The provider's own status word, kept as is (`in_progress`, `finalizing`, `ended`, ...). */
  rawStatus: string | null;
  counts: RemoteCounts | null;
  end: ChunkEnd | null;
  /** Whole-batch errors the provider reported (validation, token limit). */
  errors: { code: string; message: string }[];
  /** What the provider needs to fetch results: output/error file ids, or a results URL. */
  resultRefs: Record<string, string> | null;
  createdAt: number;
  /** When the create call was about to be made: the lower bound when looking for an orphan. */
  submitStartedAt: number | null;
  submittedAt: number | null;
  endedAt: number | null;
  mergedAt: number | null;
}

/**
 * A chunk whose batch id is committed: submitted (polled) or ended (merged next). Its batch id is non-null in its
 * type; `advanceChunk` narrows a chunk to it.
 */
export type SubmittedChunk = Chunk & { readonly state: 'submitted' | 'ended'; readonly batchId: string };

/** States in which the chunk is not done: it counts against `batch.max_concurrent` and the enqueued-token limit. */
export const OPEN_CHUNK_STATES: readonly ChunkState[] = ['planned', 'uploaded', 'submitted', 'ended'];

/** The one open-chunk filter (see `OPEN_CHUNK_STATES`). */
export function isOpenChunk(chunk: Pick<Chunk, 'state'>): boolean {
  return OPEN_CHUNK_STATES.includes(chunk.state);
}

const CHUNK_TRANSITIONS: Record<ChunkState, readonly ChunkState[]> = {
  // planned -> submitted for providers that take requests inline; -> merged when creating failed for good.
  planned: ['uploaded', 'submitted', 'merged'],
  uploaded: ['submitted', 'merged'],
  submitted: ['submitted', 'ended'],
  ended: ['merged'],
  merged: [],
};

export function assertChunkTransition(from: ChunkState, to: ChunkState): void {
  if (!CHUNK_TRANSITIONS[from].includes(to)) throw new Error(`illegal chunk transition ${from} -> ${to}`);
}
