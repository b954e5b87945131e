import assert from 'node:assert/strict';
import { checkResultFiles, type ResultPartition } from './check-result-files.ts';
import { type CliProcess, type CliResult, describeResult, runCli, startCli } from './run-cli.ts';
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

/** Starts `batchArgs` in the background, for a test that acts on the job while it runs. */
export function startBatchJob(
  temp: TempWorkspace,
  input: string,
  jobId: string,
  baseUrl: string,
  extra: string[] = [],
): CliProcess {
  return startCli(batchArgs(temp, input, jobId, baseUrl, extra), { cwd: temp.dir, timeoutMs: 60_000 });
}

/** Runs `batchArgs` to the job's end, checks that it exited 0, and reads its result files. */
export async function runBatchToEnd(
  temp: TempWorkspace,
  input: string,
  jobId: string,
  baseUrl: string,
  extra: string[] = [],
): Promise<{ result: CliResult; files: ResultPartition }> {
  const result = await runCli(batchArgs(temp, input, jobId, baseUrl, extra), { cwd: temp.dir, timeoutMs: 90_000 });
  assert.equal(result.code, 0, describeResult(result));
  return { result, files: await checkResultFiles({ inputPath: input, jobDir: temp.jobDir(jobId) }) };
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
