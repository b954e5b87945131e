import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { describeResult, startCli } from '../helpers/run-cli.ts';
import { sharedRunArgs, workerArgs } from '../helpers/shared-run-args.ts';
import { createTestSeed } from '../helpers/test-seed.ts';
import { useSharedBatchJob } from '../helpers/use-shared-batch-job.ts';

/**
 * Issue 14 §2, batch mode on workers (docs/decisions/0034): a worker killed with -9 while it holds a chunk, after its
 * upload, after its batch was created (before either was recorded), or half-way through merging its results: once its
 * lease is stale another worker takes the chunk and carries on from its committed state, adopting the upload or the
 * batch it finds by its tag. The job completes exactly once, and no chunk is uploaded or submitted twice.
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
});
