import type { Chunk } from '../../core/chunk.ts';

/**
 * What one step of a chunk did (see `advanceChunk`):
 * - `moved`: a new state (or new result references) is committed; the next step may follow at once.
 * - `waiting`: a remote step happened, but the chunk must wait for the provider (polled, still running).
 * - `not-due`: nothing was done: its poll interval has not passed.
 * - `closed`: the chunk is merged; its items have results or are pending for a new chunk.
 */
export type StepResult =
  { kind: 'moved'; chunk: Chunk } | { kind: 'waiting' } | { kind: 'not-due' } | { kind: 'closed' };

/** The remote steps of a chunk, one per committed state; each commits what it learnt before it returns. */
export interface ChunkSteps {
  /** The job is being cancelled: a chunk whose batch was never created is closed without sending it. */
  readonly cancelling: boolean;
  /** Providers that take requests inline (Anthropic) go from planned straight to submit. */
  readonly usesFiles: boolean;
  cancelUnsent(chunk: Chunk): Promise<StepResult>;
  upload(chunk: Chunk): Promise<StepResult>;
  submit(chunk: Chunk): Promise<StepResult>;
  poll(chunk: Chunk): Promise<StepResult>;
  merge(chunk: Chunk): Promise<StepResult>;
}

/**
 * The chunk state machine (states in core/chunk.ts): one switch over the committed state, one step per state.
 * A crash between two steps resumes here from whatever the store holds.
 */
export async function advanceChunk(chunk: Chunk, steps: ChunkSteps): Promise<StepResult> {
  const unsent = steps.cancelling && chunk.submitStartedAt === null;
  switch (chunk.state) {
    case 'planned':
      if (unsent) return steps.cancelUnsent(chunk);
      return steps.usesFiles ? steps.upload(chunk) : steps.submit(chunk);
    case 'uploaded':
      return unsent ? steps.cancelUnsent(chunk) : steps.submit(chunk);
    case 'submitted':
      return steps.poll(chunk);
    case 'ended':
      return steps.merge(chunk);
    case 'merged':
      return { kind: 'closed' };
  }
}
