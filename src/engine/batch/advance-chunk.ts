import type { Chunk, SubmittedChunk } from '../../core/chunk.ts';

/**
 * What one step of a chunk did:
 * - `moved`:   a new state (or new result references) is committed; the next step may follow at once.
 * - `waiting`: a remote step happened, but the chunk must wait for the provider (polled, still running).
 * - `not-due`: nothing was done: its poll interval has not passed.
 * - `closed`:  the chunk is merged; its items have results, or are pending for a new chunk, or cancelled.
 */
export type ChunkStep =
  | { kind: 'moved'; chunk: Chunk }
  | { kind: 'waiting'; chunk: SubmittedChunk }
  | { kind: 'not-due' }
  | { kind: 'closed' };

/** The steps of a chunk, one per committed state; each commits what it learnt before it returns. */
export interface ChunkHandlers {
  /** The job is being cancelled (see the cancel rule in `stepChunk`). */
  readonly cancelling: boolean;
  /** Cancelling: a chunk whose batch was never asked for is closed without sending it. */
  closeUnsent(chunk: Chunk): Promise<ChunkStep>;
  /** Cancelling: the remote batch of a submitted chunk is asked to cancel (once; its poll then tells the end). */
  requestCancel(chunk: SubmittedChunk): Promise<void>;
  /** planned: nothing known to exist remotely; ready its input (upload it, or go on to create the batch inline). */
  prepare(chunk: Chunk): Promise<ChunkStep>;
  /** uploaded: its input file id is committed; create the batch. */
  submit(chunk: Chunk): Promise<ChunkStep>;
  /** submitted: poll the batch when its turn has come. */
  poll(chunk: SubmittedChunk): Promise<ChunkStep>;
  /** ended: download and merge the results, close the chunk. */
  merge(chunk: SubmittedChunk): Promise<ChunkStep>;
}

/** Where `advanceChunk` left a chunk: its latest committed record (null once closed), and whether a step was taken. */
export interface ChunkAdvance {
  chunk: Chunk | null;
  worked: boolean;
}

/**
 * The one entry of the chunk state machine (states in core/chunk.ts): takes a chunk as far as it can go now, one
 * step per committed state, until it waits for the provider, is not due, or is closed. A crash between two steps
 * resumes here from whatever the store holds.
 */
export async function advanceChunk(start: Chunk, handlers: ChunkHandlers): Promise<ChunkAdvance> {
  let worked = false;
  for (let chunk = start; ;) {
    const step = await stepChunk(chunk, handlers);
    switch (step.kind) {
      case 'moved':
        worked = true;
        chunk = step.chunk;
        break;
      case 'waiting':
        return { chunk: step.chunk, worked: true };
      case 'not-due':
        return { chunk, worked };
      case 'closed':
        return { chunk: null, worked: true };
    }
  }
}

/** One step: one switch over the committed state, after the cancel rule. */
async function stepChunk(chunk: Chunk, handlers: ChunkHandlers): Promise<ChunkStep> {
  // The cancel rule: a chunk whose batch was never asked for (no create call started) is closed unsent; a batch
  // that exists is asked to cancel, then polled and merged like any other (what it answered is kept).
  if (handlers.cancelling) {
    if ((chunk.state === 'planned' || chunk.state === 'uploaded') && chunk.submitStartedAt === null) {
      return handlers.closeUnsent(chunk);
    }
    if (chunk.state === 'submitted') await handlers.requestCancel(withBatchId(chunk, chunk.state));
  }
  switch (chunk.state) {
    case 'planned':
      return handlers.prepare(chunk);
    case 'uploaded':
      return handlers.submit(chunk);
    case 'submitted':
      return handlers.poll(withBatchId(chunk, chunk.state));
    case 'ended':
      return handlers.merge(withBatchId(chunk, chunk.state));
    case 'merged':
      return { kind: 'closed' };
  }
}

/** A submitted or ended chunk always has its batch id: the store commits both together. */
function withBatchId(chunk: Chunk, state: SubmittedChunk['state']): SubmittedChunk {
  const { batchId } = chunk;
  if (batchId === null) throw new Error(`chunk ${String(chunk.chunkNo)} is ${state} without a batch id`);
  return { ...chunk, state, batchId };
}
