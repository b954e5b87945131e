import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkResultFiles } from './check-result-files.ts';
import { describeResult, runCli } from './run-cli.ts';
import { chatBatchLines } from './temp-workspace.ts';
import type { TestSeed } from './test-seed.ts';
import { useCliWorkspace } from './use-cli-workspace.ts';

/**
 * The batch-mode crash suite, run by test/integration/cli-batch-kill.*.test.ts (split so each file stays short):
 * kill -9 at each step boundary of batch mode (BATCHPILOT_CRASH_AT makes the process SIGKILL
 * itself there), then resume: no chunk is uploaded or submitted twice, nothing is lost or
 * duplicated, and no line that succeeded is sent again. The simulator's line-failure dice come from the test seed,
 * printed in every assertion message.
 */

const ITEMS = 600;

/** `BATCHPILOT_CRASH_AT` values, e.g. `after-upload:2`. */
export function describeBatchKill(crashPoints: readonly string[], seed: TestSeed): void {
  describe(`batch mode survives kill -9 at ${crashPoints.join(', ')}`, () => {
    const ws = useCliWorkspace({
      prefix: 'batchpilot-batch-kill-',
      inputLines: chatBatchLines(ITEMS, { prefix: 'kill' }),
      simulator: { batchLifetimeMs: 300, batchLineFailRate: 0.03, seed: seed.derive(1) },
    });

    for (const point of crashPoints) {
      it(`crash ${point}, then resume`, () =>
        seed.withNote(async () => {
          ws.sim.resetStats();
          const jobId = `kill-${point.replace(':', '-')}`;
          const common = ['--workspace', ws.temp.workspace, '--json'];
          const fast = ['--set', 'poll_interval_s=0.1', '--set', 'retry.base_delay_ms=20', '--no-progress'];
          const crashed = await runCli(
            [
              ...common,
              'run',
              ws.input,
              '--job',
              jobId,
              '--base-url',
              ws.sim.baseUrl,
              '--set',
              'mode=batch',
              '--set',
              'chunk.max_requests=1000',
              '--set',
              'chunk.max_bytes=100KB',
              '--max-attempts',
              '6',
              ...fast,
            ],
            { cwd: ws.temp.dir, env: { BATCHPILOT_CRASH_AT: point } },
          );
          assert.equal(crashed.signal, 'SIGKILL', `it should have crashed at ${point}: ${describeResult(crashed)}`);

          const resumed = await runCli([...common, 'resume', jobId, '--no-progress'], { cwd: ws.temp.dir });
          assert.equal(resumed.code, 0, describeResult(resumed));
          const files = await checkResultFiles({ inputPath: ws.input, jobDir: ws.temp.jobDir(jobId) });
          assert.equal(files.succeeded.length, ITEMS);
          const stats = ws.sim.stats().batch;
          // One upload and one batch per chunk: a crash between a remote call and its commit was repaired by adoption.
          const chunkLines = (files.report as unknown as { batch: { chunks: { file_id: string | null }[] } }).batch
            .chunks;
          assert.equal(
            stats.uploads,
            chunkLines.filter((chunk) => chunk.file_id !== null).length,
            'a chunk uploaded twice',
          );
          assert.equal(stats.customIdsResubmittedAfterSuccess, 0, 'a line that succeeded was sent again');
          const report = files.report as unknown as { batch: { chunks: { batch_id: string | null }[] } };
          const batchIds = report.batch.chunks.flatMap((chunk) => (chunk.batch_id === null ? [] : [chunk.batch_id]));
          assert.equal(stats.batchesCreated.openai, batchIds.length, 'a chunk submitted twice');
          assert.equal(new Set(batchIds).size, batchIds.length, 'two chunks claim the same batch');
          const log = await readFile(join(ws.temp.jobDir(jobId), 'job.log'), 'utf8');
          if (point.startsWith('after-upload')) assert.match(log, /upload-adopt/);
          if (point.startsWith('after-create')) assert.match(log, /batch-adopt/);
        }));
    }
  });
}
