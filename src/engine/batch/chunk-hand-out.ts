import type { Chunk } from '../../core/chunk.ts';

/**
 * Where a batch job's chunks are worked when not in the loop's own process (docs/decisions/0034): the loop keeps what
 * must be central (committing the input, cutting chunks under `batch.max_concurrent`, the token limit and the
 * budget, progress, the job's end) and hands each chunk it cuts to whoever takes it; it learns that a chunk closed
 * from the store (the chunk is `merged`), not from advancing it.
 */
export interface ChunkHandOut {
  /** Before the first turn: the job's open chunks (of an earlier run) are handed out again. */
  start(open: readonly Chunk[]): Promise<void>;
  /** A chunk the loop just cut (committed `planned`). */
  handOut(chunk: Chunk): Promise<void>;
  /**
   * Each turn: throws the stop a holder of a chunk recorded (a refused key as `AUTH_FAILED`, the endpoint gone as
   * `EndpointOutage`), which ends the run as it would in one process; tells when no process has taken a chunk for a
   * while.
   */
  watch(): Promise<void>;
  /** The answer bodies of a chunk a holder closed (to price it against `limits.budget_usd`). */
  closedAnswers(chunkNo: number): AsyncIterable<string>;
  /** How long the loop waits between turns when nothing happened (ms): it watches the store, it polls no one. */
  readonly watchMs: number;
  /** The run ended (any outcome): no chunk is handed out any more, and this process's own work on them stops. */
  close(): Promise<void>;
}
