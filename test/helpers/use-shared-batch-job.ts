import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { checkResultFiles } from './check-result-files.ts';
import { describeResult, killRunningClis, runOutput, type CliOptions, type CliResult } from './run-cli.ts';
import type { SharedTarget } from './shared-run-args.ts';
import { startPostgres, type PostgresHandle } from './start-postgres.ts';
import { type SimulatorHandle, startSimulator } from './start-simulator.ts';
import { chatBatchLines, createTempWorkspace, type TempWorkspace, toJsonl } from './temp-workspace.ts';
import type { TestSeed } from './test-seed.ts';

/** A chunk as report.json lists it. */
export interface ReportChunk {
  chunk: number;
  file_id: string | null;
  batch_id: string | null;
}

/** What the tests of batch chunks on workers (docs/decisions/0034) share: set up by `useSharedBatchJob`. */
export interface SharedBatchJobFixture {
  readonly temp: TempWorkspace;
  readonly sim: SimulatorHandle;
  readonly postgres: PostgresHandle;
  /** An input of `items` chat lines. */
  readonly input: string;
  readonly items: number;
  /** A fresh database and job id for one test. */
  target(jobId: string): Promise<SharedTarget>;
  cliOptions(env?: Record<string, string>): CliOptions;
  /** `run` flags of a batch job of small chunks, quick polls and `leaseS`, then `extra`. */
  batchArgs(extra?: readonly string[]): string[];
  /** The job completed, each item in exactly one file, each chunk uploaded and submitted once; its chunks. */
  checkCompleted(target: SharedTarget, result: CliResult): Promise<ReportChunk[]>;
}

/**
 * A workspace, a PostgreSQL server and a simulator whose batches end in 300 ms (2% of lines failing, from the seed),
 * for the file's tests; everything is stopped, and every CLI the tests started killed, after them.
 */
export function useSharedBatchJob(options: { seed: TestSeed; items: number; leaseS: number }): SharedBatchJobFixture {
  const { seed, items, leaseS } = options;
  let temp: TempWorkspace | undefined;
  let sim: SimulatorHandle | undefined;
  let postgres: PostgresHandle | undefined;
  let input = '';

  before(async () => {
    temp = await createTempWorkspace('batchpilot-workers-batch-');
    [sim, postgres] = await Promise.all([
      startSimulator({ batchLifetimeMs: 300, batchLineFailRate: 0.02, seed: seed.derive(1) }),
      startPostgres(),
    ]);
    input = await temp.write('input.jsonl', toJsonl(chatBatchLines(items, { prefix: 'wb' })));
  });

  after(async () => {
    await killRunningClis();
    await sim?.close();
    await postgres?.stop();
    await temp?.remove();
  });

  const need = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('used before the fixture was set up');
    return value;
  };

  const fixture: SharedBatchJobFixture = {
    get temp() {
      return need(temp);
    },
    get sim() {
      return need(sim);
    },
    get postgres() {
      return need(postgres);
    },
    get input() {
      return input;
    },
    items,
    target: async (jobId) => ({
      temp: need(temp),
      url: await need(postgres).createDatabase(jobId.replaceAll('-', '_')),
      jobId,
    }),
    cliOptions: (env = {}) => ({ cwd: need(temp).dir, timeoutMs: 50_000, env }),
    batchArgs: (extra = []) => [
      '--set',
      'mode=batch',
      '--set',
      'chunk.max_requests=100',
      '--set',
      'batch.max_concurrent=4',
      '--set',
      'poll_interval_s=0.1',
      '--set',
      'retry.base_delay_ms=20',
      '--max-attempts',
      '6',
      '--lease-s',
      String(leaseS),
      ...extra,
    ],
    checkCompleted: async (target, result) => {
      assert.equal(result.code, 0, describeResult(result));
      assert.equal(runOutput(result)?.outcome, 'completed');
      const files = await checkResultFiles({ inputPath: input, jobDir: need(temp).jobDir(target.jobId) });
      assert.equal(files.succeeded.length, items);
      assert.equal(files.failed.length + files.missing.length + files.rejects.length, 0);
      const chunks = (files.report as unknown as { batch: { chunks: ReportChunk[] } }).batch.chunks;
      const batchIds = chunks.flatMap((chunk) => (chunk.batch_id === null ? [] : [chunk.batch_id]));
      const stats = need(sim).stats().batch;
      assert.ok(chunks.length > 1, 'several chunks');
      assert.equal(stats.batchesCreated.openai, batchIds.length, 'a chunk submitted twice');
      assert.equal(new Set(batchIds).size, batchIds.length, 'two chunks claim the same batch');
      assert.equal(stats.uploads, chunks.filter((chunk) => chunk.file_id !== null).length, 'a chunk uploaded twice');
      assert.equal(stats.customIdsResubmittedAfterSuccess, 0, 'a line that succeeded was sent again');
      return chunks;
    },
  };
  return fixture;
}
