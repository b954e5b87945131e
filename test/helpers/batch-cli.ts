import assert from 'node:assert/strict';
import type { TempWorkspace } from './temp-workspace.ts';
import { runArgs } from './run-args.ts';

/** What the batch-mode CLI tests share: fast polling and retries, the `run --set mode=batch` arguments, a check. */

export const FAST = [
  '--set',
  'poll_interval_s=0.1',
  '--set',
  'retry.base_delay_ms=20',
  '--set',
  'retry.max_delay_ms=200',
  '--no-progress',
];

export function batchArgs(
  temp: TempWorkspace,
  input: string,
  jobId: string,
  baseUrl: string,
  extra: string[] = [],
): string[] {
  return runArgs(temp, input, { job: jobId, baseUrl }, ['--set', 'mode=batch', ...FAST, ...extra]);
}

export interface ChunkLine {
  file_id: string | null;
  batch_id: string | null;
}

/** No chunk uploaded or submitted twice: the provider saw exactly one upload and one batch per chunk that has one. */
export function assertEachChunkOnce(chunks: readonly ChunkLine[], uploads: number, batches: number): void {
  assert.equal(uploads, chunks.filter((chunk) => chunk.file_id !== null).length, 'uploads vs chunks with a file');
  assert.equal(batches, chunks.filter((chunk) => chunk.batch_id !== null).length, 'batches vs chunks with a batch');
  const ids = chunks.flatMap((chunk) => (chunk.batch_id === null ? [] : [chunk.batch_id]));
  assert.equal(new Set(ids).size, ids.length, 'two chunks claim the same batch');
}
