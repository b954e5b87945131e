import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkResultFiles } from '../helpers/check-result-files.ts';
import { describeResult, runCli, runOutput, startCli, waitFor } from '../helpers/run-cli.ts';
import { sharedRunArgs, workerArgs } from '../helpers/shared-run-args.ts';
import { startSimulator } from '../helpers/start-simulator.ts';
import { chatBatchLines, toJsonl } from '../helpers/temp-workspace.ts';
import { createTestSeed } from '../helpers/test-seed.ts';
import { useSharedBatchJob } from '../helpers/use-shared-batch-job.ts';

/**
 * Issue 14 §2, batch mode on workers (docs/decisions/0034): a batch-mode job in a PostgreSQL store, its chunks run by
 * `worker`s and the submitting process, completes with each item in exactly one result file and each chunk's batch
 * created once; the submitter killed -9 right after creating a batch is resumed and the batch adopted;
 * `limits.budget_usd` holds with a worker merging the chunks; `cancel JOB` reaches the workers. A worker killed -9 is
 * in cli-workers-batch.kill.test.ts.
 */

const LEASE_S = 2;
const seed = createTestSeed(import.meta.url);

describe('batch-mode chunks on workers over PostgreSQL', () => {
  const job = useSharedBatchJob({ seed, items: 1000, leaseS: LEASE_S });

  it('runs the chunks on two workers and the submitter: exactly once, each batch created once', () =>
    seed.withNote(async () => {
      job.sim.resetStats();
      const target = await job.target('batch-shared');
      const workers = [0, 1].map(() => startCli(workerArgs(target, ['--lease-s', String(LEASE_S)]), job.cliOptions()));
      const submitter = startCli(sharedRunArgs(target, job.input, job.sim.baseUrl, job.batchArgs()), job.cliOptions());
      const result = await submitter.done;
      await job.checkCompleted(target, result);
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

  it('the submitter killed -9 after creating a batch: resume hands the chunks out again and the batch is adopted', () =>
    seed.withNote(async () => {
      job.sim.resetStats();
      const target = await job.target('batch-resume');
      // Alone at first, so the chunk it dies on is its own: its batch exists remotely, its id in no record.
      const crashed = await startCli(
        sharedRunArgs(target, job.input, job.sim.baseUrl, job.batchArgs()),
        job.cliOptions({ BATCHPILOT_CRASH_AT: 'after-create' }),
      ).done;
      assert.equal(crashed.signal, 'SIGKILL', describeResult(crashed));
      const worker = startCli(workerArgs(target, ['--lease-s', String(LEASE_S)]), job.cliOptions());
      const resumed = await startCli(
        [
          '--workspace',
          job.temp.workspace,
          '--store',
          target.url,
          '--json',
          'resume',
          target.jobId,
          '--no-progress',
          '--lease-s',
          String(LEASE_S),
        ],
        job.cliOptions(),
      ).done;
      await job.checkCompleted(target, resumed);
      worker.child.kill('SIGTERM');
      const ended = await worker.done;
      assert.equal(ended.code, 0, describeResult(ended));
      const log = await readFile(join(job.temp.jobDir(target.jobId), 'job.log'), 'utf8');
      assert.match(`${log}\n${ended.stdout}`, /"msg":"batch-adopt"/, "the dead run's batch was found by its tag");
    }));

  it('holds limits.budget_usd in the submitter, pricing each chunk a worker closed from its answers', () =>
    seed.withNote(async () => {
      job.sim.resetStats();
      const target = await job.target('batch-budget');
      const lines = 300;
      const budgeted = await job.temp.write('budget.jsonl', toJsonl(chatBatchLines(lines, { prefix: 'wbudget' })));
      // As test/integration/cli-caps.budget.test.ts: sim-model at 0.15 / 0.6 USD per Mtok, half in batch.
      const budgetUsd = 0.0008;
      const worker = startCli(workerArgs(target, ['--lease-s', String(LEASE_S)]), job.cliOptions());
      const result = await startCli(
        sharedRunArgs(target, budgeted, job.sim.baseUrl, [
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
        job.cliOptions(),
      ).done;
      assert.equal(result.code, 3, describeResult(result));
      const files = await checkResultFiles({ inputPath: budgeted, jobDir: job.temp.jobDir(target.jobId) });
      assert.ok(files.succeeded.length >= 90, `${String(files.succeeded.length)} answered`);
      assert.ok(files.missing.length >= 100, `${String(files.missing.length)} missing`);
      assert.equal(files.report.missing_by_reason['budget'], files.missing.length);
      assert.equal(files.succeeded.length + files.missing.length, lines);
      const output = await readFile(join(job.temp.jobDir(target.jobId), 'output.jsonl'), 'utf8');
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

  it('cancel JOB reaches the workers: they cancel the batches they hold, and the submitter ends the job cancelled', () =>
    seed.withNote(async () => {
      // Batches that stay in progress until cancelled.
      const slow = await startSimulator({ batchLifetimeMs: 30_000, seed: seed.derive(2) });
      try {
        const target = await job.target('batch-cancel');
        const worker = startCli(workerArgs(target, ['--lease-s', String(LEASE_S)]), job.cliOptions());
        const submitter = startCli(
          sharedRunArgs(target, job.input, slow.baseUrl, job.batchArgs(['--no-work'])),
          job.cliOptions(),
        );
        await waitFor(() => slow.stats().batch.batchesCreated.openai >= 2, 'two batches created by the worker');
        const cancel = await runCli(
          ['--workspace', job.temp.workspace, '--store', target.url, 'cancel', target.jobId],
          {
            cwd: job.temp.dir,
          },
        );
        assert.equal(cancel.code, 0, describeResult(cancel));
        const result = await submitter.done;
        assert.equal(result.code, 3, describeResult(result));
        assert.equal(runOutput(result)?.outcome, 'cancelled');
        const files = await checkResultFiles({ inputPath: job.input, jobDir: job.temp.jobDir(target.jobId) });
        assert.ok(files.missing.length > 0, 'cancelled lines are missing');
        assert.equal(files.report.missing_by_reason['cancelled'], files.missing.length);
        assert.equal(files.succeeded.length + files.failed.length + files.missing.length, job.items);
        assert.ok((slow.stats().batch.batchesByStatus['cancelled'] ?? 0) >= 1, 'a held batch was cancelled');
        worker.child.kill('SIGTERM');
        assert.equal((await worker.done).code, 0);
      } finally {
        await slow.close();
      }
    }));
});
