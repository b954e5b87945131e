import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkResultFiles } from '../helpers/check-result-files.ts';
import { describeResult, startCli, waitFor } from '../helpers/run-cli.ts';
import { sharedRunArgs, workerArgs } from '../helpers/shared-run-args.ts';
import { createTestSeed } from '../helpers/test-seed.ts';
import { useSharedBatchJob, type ReportChunk } from '../helpers/use-shared-batch-job.ts';

/**
 * Issue 14 §2, batch mode on workers (docs/decisions/0034): a worker killed with -9 while it holds a chunk, after its
 * upload, after its batch was created (before either was recorded), or half-way through merging its results: once its
 * lease is stale another worker takes the chunk and carries on from its committed state, adopting the upload or the
 * batch it finds by its tag. The job completes exactly once, and no chunk is uploaded or submitted twice. A worker
 * stopped with SIGSTOP past its lease, then woken, finds its chunks gone and writes none of them (the fence).
 */

const LEASE_S = 2;
const seed = createTestSeed(import.meta.url);

describe('batch-mode chunks on workers over PostgreSQL: a worker killed -9', () => {
  const job = useSharedBatchJob({ seed, items: 1000, leaseS: LEASE_S });

  /** Where the killed worker dies, and what its taker logs for the step it finds done but not recorded. */
  const kills = [
    { point: 'after-upload', adopted: /"msg":"upload-adopt"/ },
    { point: 'after-create', adopted: /"msg":"batch-adopt"/ },
    { point: 'mid-download', adopted: /"msg":"chunk-merge"/ },
  ];
  for (const { point, adopted } of kills) {
    it(`a worker killed -9 at ${point}: another takes the chunk on from its committed state, nothing twice`, () =>
      seed.withNote(async () => {
        job.sim.resetStats();
        const jobId = `batch-kill-${point}`;
        const target = await job.target(jobId);
        // The submitter only cuts and watches: every chunk goes to a worker.
        const submitter = startCli(
          sharedRunArgs(target, job.input, job.sim.baseUrl, job.batchArgs(['--no-work'])),
          job.cliOptions(),
        );
        const lease = ['--lease-s', String(LEASE_S)];
        const killed = await startCli(workerArgs(target, lease), job.cliOptions({ BATCHPILOT_CRASH_AT: point })).done;
        assert.equal(killed.signal, 'SIGKILL', describeResult(killed));
        const taker = startCli(workerArgs(target, lease), job.cliOptions());
        const result = await submitter.done;
        await job.checkCompleted(target, result);
        taker.child.kill('SIGTERM');
        const ended = await taker.done;
        assert.equal(ended.code, 0, describeResult(ended));
        // The killed worker's chunk was taken over once its lease went stale, and carried on from what it committed.
        assert.match(ended.stdout, /"msg":"slice-adopt"/);
        assert.match(ended.stdout, adopted);
        const log = await readFile(join(job.temp.jobDir(target.jobId), 'job.log'), 'utf8');
        assert.match(log, /"msg":"chunk-hand-out"/);
      }));
  }

  it('a worker stopped (SIGSTOP) past its lease: its chunks go on elsewhere, and woken it writes none of them', () =>
    seed.withNote(async () => {
      job.sim.resetStats();
      const target = await job.target('batch-stopped');
      const submitter = startCli(
        sharedRunArgs(target, job.input, job.sim.baseUrl, job.batchArgs(['--no-work'])),
        job.cliOptions(),
      );
      const lease = ['--lease-s', String(LEASE_S)];
      const stopped = startCli(workerArgs(target, lease), job.cliOptions());
      await waitFor(() => job.sim.stats().batch.batchesCreated.openai >= 1, 'a batch created by the first worker');
      stopped.child.kill('SIGSTOP');
      const taker = startCli(workerArgs(target, lease), job.cliOptions());
      // Taken over once the lease is stale (and, if it stopped inside a transaction, once the server ended that
      // session after 5 s): only then is the first worker woken.
      await waitFor(() => /"msg":"slice-adopt"/.test(taker.stdout), 'the second worker took over a chunk', 30_000);
      stopped.child.kill('SIGCONT');
      const result = await submitter.done;
      assert.equal(result.code, 0, describeResult(result));
      const files = await checkResultFiles({ inputPath: job.input, jobDir: job.temp.jobDir(target.jobId) });
      assert.equal(files.succeeded.length, job.items);
      assert.equal(files.failed.length + files.missing.length, 0);
      for (const worker of [stopped, taker]) worker.child.kill('SIGTERM');
      const [woken, ended] = [await stopped.done, await taker.done];
      assert.equal(woken.code, 0, describeResult(woken));
      assert.equal(ended.code, 0, describeResult(ended));
      // Woken, it found its chunks gone (by its heartbeat or a refused write), or failed with the session the server
      // ended while it was stopped inside a transaction: it wrote nothing more of them.
      const lost = (woken.stdout.match(/"msg":"slice-(lose|fail)"/g) ?? []).length;
      assert.ok(lost > 0, woken.stdout);
      const stats = job.sim.stats().batch;
      assert.equal(stats.customIdsResubmittedAfterSuccess, 0, 'a line that succeeded was sent again');
      // A second batch for a chunk is possible only where the stopped worker was between committing that a create
      // starts and sending it: at most one per chunk it lost (decision 0034).
      const chunks = (files.report as unknown as { batch: { chunks: ReportChunk[] } }).batch.chunks;
      const batches = chunks.filter((chunk) => chunk.batch_id !== null).length;
      assert.ok(
        stats.batchesCreated.openai >= batches && stats.batchesCreated.openai <= batches + lost,
        `${String(stats.batchesCreated.openai)} batches created for ${String(batches)} chunks, ${String(lost)} lost`,
      );
    }));
});
