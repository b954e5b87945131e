import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkResultFiles } from '../helpers/check-result-files.ts';
import { describeResult, killRunningClis, runOutput, startCli, type CliResult } from '../helpers/run-cli.ts';
import { sharedRunArgs, workerArgs, type SharedTarget } from '../helpers/shared-run-args.ts';
import { startPostgres, type PostgresHandle } from '../helpers/start-postgres.ts';
import { type SimulatorHandle, startSimulator } from '../helpers/start-simulator.ts';
import { chatBatchLines, createTempWorkspace, type TempWorkspace, toJsonl } from '../helpers/temp-workspace.ts';
import { createTestSeed } from '../helpers/test-seed.ts';

/**
 * Issue 14 §2, batch mode on workers (docs/decisions/0034): a batch-mode job in a PostgreSQL store, its chunks run by
 * `worker`s (and the submitting process). It completes with each item in exactly one result file and each chunk's
 * batch created once; a worker killed with -9 right after it created a chunk's batch (before it recorded it) loses
 * the chunk to another worker, which finds that batch by its tag and adopts it instead of submitting a second one.
 */

const ITEMS = 1500;
const LEASE_S = 2;
const seed = createTestSeed(import.meta.url);

interface ChunkLine {
  chunk_no: number;
  file_id: string | null;
  batch_id: string | null;
}

describe('batch-mode chunks on workers over PostgreSQL', () => {
  let temp: TempWorkspace;
  let sim: SimulatorHandle;
  let postgres: PostgresHandle;
  let input: string;

  before(async () => {
    temp = await createTempWorkspace('batchpilot-workers-batch-');
    [sim, postgres] = await Promise.all([
      startSimulator({ batchLifetimeMs: 300, batchLineFailRate: 0.02, seed: seed.derive(1) }),
      startPostgres(),
    ]);
    input = await temp.write('input.jsonl', toJsonl(chatBatchLines(ITEMS, { prefix: 'wb' })));
  });

  after(async () => {
    await killRunningClis();
    await sim.close();
    await postgres.stop();
    await temp.remove();
  });

  const cliOptions = (
    env: Record<string, string> = {},
  ): { cwd: string; timeoutMs: number; env: Record<string, string> } => ({
    cwd: temp.dir,
    timeoutMs: 50_000,
    env,
  });

  const batchArgs = (extra: readonly string[] = []): string[] => [
    '--set',
    'mode=batch',
    '--set',
    'chunk.max_requests=150',
    '--set',
    'batch.max_concurrent=4',
    '--set',
    'poll_interval_s=0.1',
    '--set',
    'retry.base_delay_ms=20',
    '--max-attempts',
    '6',
    '--lease-s',
    String(LEASE_S),
    ...extra,
  ];

  /** The job completed, each item in exactly one file, each chunk uploaded and submitted once. */
  async function checkJob(target: SharedTarget, result: CliResult): Promise<ChunkLine[]> {
    assert.equal(result.code, 0, describeResult(result));
    assert.equal(runOutput(result)?.outcome, 'completed');
    const files = await checkResultFiles({ inputPath: input, jobDir: temp.jobDir(target.jobId) });
    assert.equal(files.succeeded.length, ITEMS);
    assert.equal(files.failed.length + files.missing.length + files.rejects.length, 0);
    const chunks = (files.report as unknown as { batch: { chunks: ChunkLine[] } }).batch.chunks;
    const batchIds = chunks.flatMap((chunk) => (chunk.batch_id === null ? [] : [chunk.batch_id]));
    const stats = sim.stats().batch;
    assert.ok(chunks.length > 1, 'several chunks');
    assert.equal(stats.batchesCreated.openai, batchIds.length, 'a chunk submitted twice');
    assert.equal(new Set(batchIds).size, batchIds.length, 'two chunks claim the same batch');
    assert.equal(stats.uploads, chunks.filter((chunk) => chunk.file_id !== null).length, 'a chunk uploaded twice');
    assert.equal(stats.customIdsResubmittedAfterSuccess, 0, 'a line that succeeded was sent again');
    return chunks;
  }

  it('runs the chunks on two workers and the submitter: exactly once, each batch created once', () =>
    seed.withNote(async () => {
      sim.resetStats();
      const target = { temp, url: await postgres.createDatabase('batch_shared'), jobId: 'batch-shared' };
      const workers = [0, 1].map(() => startCli(workerArgs(target, ['--lease-s', String(LEASE_S)]), cliOptions()));
      const submitter = startCli(sharedRunArgs(target, input, sim.baseUrl, batchArgs()), cliOptions());
      const result = await submitter.done;
      await checkJob(target, result);
      for (const worker of workers) worker.child.kill('SIGTERM');
      for (const worker of workers) {
        const ended = await worker.done;
        assert.equal(ended.code, 0, describeResult(ended));
        assert.match(ended.stdout, /"msg":"worker-stop"/);
      }
      // The workers took chunks of their own (each process takes one chunk per look, so they spread).
      const merged = workers.map((worker) => (worker.stdout.match(/"msg":"chunk-merge"/g) ?? []).length);
      assert.ok(merged[0]! + merged[1]! > 0, `the workers merged ${JSON.stringify(merged)} chunks`);
    }));

  it('holds limits.budget_usd in the submitter, pricing each chunk a worker closed from its answers', () =>
    seed.withNote(async () => {
      sim.resetStats();
      const target = { temp, url: await postgres.createDatabase('batch_budget'), jobId: 'batch-budget' };
      const lines = 300;
      const budgeted = await temp.write('budget.jsonl', toJsonl(chatBatchLines(lines, { prefix: 'wbudget' })));
      // As test/integration/cli-caps.budget.test.ts: sim-model at 0.15 / 0.6 USD per Mtok, half in batch.
      const budgetUsd = 0.0008;
      const worker = startCli(workerArgs(target, ['--lease-s', String(LEASE_S)]), cliOptions());
      const result = await startCli(
        sharedRunArgs(target, budgeted, sim.baseUrl, [
          '--no-work',
          '--set',
          'mode=batch',
          '--set',
          'chunk.max_requests=50',
          // One chunk at a time: the budget's later chunks are cut only after the earlier ones closed and were priced.
          '--set',
          'batch.max_concurrent=1',
          '--set',
          'poll_interval_s=0.1',
          '--set',
          `limits.budget_usd=${String(budgetUsd)}`,
          '--approve-budget',
        ]),
        cliOptions(),
      ).done;
      assert.equal(result.code, 3, describeResult(result));
      const files = await checkResultFiles({ inputPath: budgeted, jobDir: temp.jobDir(target.jobId) });
      assert.ok(files.succeeded.length >= 90, `${String(files.succeeded.length)} answered`);
      assert.ok(files.missing.length >= 100, `${String(files.missing.length)} missing`);
      assert.equal(files.report.missing_by_reason['budget'], files.missing.length);
      assert.equal(files.succeeded.length + files.missing.length, lines);
      const output = await readFile(join(temp.jobDir(target.jobId), 'output.jsonl'), 'utf8');
      let spentUsd = 0;
      for (const line of output.trim().split('\n')) {
        const usage = (JSON.parse(line) as { response: { body: { usage: Record<string, number> } } }).response.body
          .usage;
        spentUsd += (((usage['prompt_tokens'] ?? 0) * 0.15 + (usage['completion_tokens'] ?? 0) * 0.6) / 1e6) * 0.5;
      }
      assert.ok(spentUsd <= budgetUsd, `spent ${String(spentUsd)} of ${String(budgetUsd)}`);
      worker.child.kill('SIGTERM');
      const ended = await worker.done;
      assert.equal(ended.code, 0, describeResult(ended));
      assert.match(ended.stdout, /"msg":"chunk-merge"/, 'the worker merged the chunks');
    }));

  /** Where the killed worker dies, and what its taker logs for the step it finds done but not recorded. */
  const kills = [
    { point: 'after-upload', adopted: /"msg":"upload-adopt"/ },
    { point: 'after-create', adopted: /"msg":"batch-adopt"/ },
    { point: 'mid-download', adopted: /"msg":"chunk-merge"/ },
  ];
  for (const { point, adopted } of kills) {
    it(`a worker killed -9 at ${point}: another takes the chunk on from its committed state, nothing twice`, () =>
      seed.withNote(async () => {
        sim.resetStats();
        const jobId = `batch-kill-${point}`;
        const target = { temp, url: await postgres.createDatabase(jobId.replaceAll('-', '_')), jobId };
        // The submitter only cuts and watches: every chunk goes to a worker.
        const submitter = startCli(sharedRunArgs(target, input, sim.baseUrl, batchArgs(['--no-work'])), cliOptions());
        const lease = ['--lease-s', String(LEASE_S)];
        const killed = await startCli(workerArgs(target, lease), cliOptions({ BATCHPILOT_CRASH_AT: point })).done;
        assert.equal(killed.signal, 'SIGKILL', describeResult(killed));
        const taker = startCli(workerArgs(target, lease), cliOptions());
        const result = await submitter.done;
        await checkJob(target, result);
        taker.child.kill('SIGTERM');
        const ended = await taker.done;
        assert.equal(ended.code, 0, describeResult(ended));
        // The killed worker's chunk was taken over once its lease went stale, and carried on from what it committed.
        assert.match(ended.stdout, /"msg":"slice-adopt"/);
        assert.match(ended.stdout, adopted);
        const log = await readFile(join(temp.jobDir(target.jobId), 'job.log'), 'utf8');
        assert.match(log, /"msg":"chunk-hand-out"/);
      }));
  }
});
