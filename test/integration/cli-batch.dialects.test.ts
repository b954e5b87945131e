import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertEachChunkOnce, type ChunkLine, runBatchToEnd } from '../helpers/batch-cli.ts';
import { runCli, runOutput } from '../helpers/run-cli.ts';
import { startSimulator } from '../helpers/start-simulator.ts';
import { chatBatchLines, createTempWorkspace, type TempWorkspace, toJsonl } from '../helpers/temp-workspace.ts';

/**
 * Batch mode end to end against the simulator's files + batches endpoints, one case per wire dialect (OpenAI, Zhipu,
 * Anthropic Message Batches): chunks, whole batches and lines that fail or expire resubmitted, exactly-once files.
 * The engine's own logic (chunk planning, merging, retries, budget) is covered in depth, and fast, by
 * test/unit/engine/batch/; these cases keep each path covered end to end, through the CLI and the wire formats.
 */

describe('batch mode: dialects', () => {
  let temp: TempWorkspace;

  before(async () => {
    temp = await createTempWorkspace('batchpilot-batch-');
  });

  after(async () => {
    await temp.remove();
  });

  for (const dialect of [
    { name: 'openai', path: '/v1' },
    { name: 'zhipu', path: '/api/paas/v4' },
  ]) {
    it(`${dialect.name}: 2,000 lines in 4 chunks, failed and expired lines resubmitted, every item in one file`, async () => {
      const sim = await startSimulator({
        batchLifetimeMs: 300,
        batchFailRate: 0.2,
        batchLineFailRate: 0.04,
        batchLineExpireRate: 0.04,
        seed: 11,
      });
      try {
        const input = await temp.write(
          `${dialect.name}.jsonl`,
          toJsonl(chatBatchLines(2000, { prefix: dialect.name })),
        );
        const { result, files } = await runBatchToEnd(temp, input, `b-${dialect.name}`, `${sim.url}${dialect.path}`, [
          '--set',
          'chunk.max_requests=500',
          '--set',
          'batch.max_concurrent=2',
          '--max-attempts',
          '8',
        ]);
        assert.equal(runOutput(result)?.outcome, 'completed');
        assert.equal(files.succeeded.length, 2000);
        const report = files.report as unknown as { batch: { chunks: { batch_id: string }[]; discount: number } };
        assert.ok(report.batch.chunks.length >= 4, `${String(report.batch.chunks.length)} chunks`);
        assert.equal(report.batch.discount, 0.5);
        const status = await runCli(['--workspace', temp.workspace, '--json', 'status', `b-${dialect.name}`], {
          cwd: temp.dir,
        });
        const shown = JSON.parse(status.stdout) as { chunks: { state: string; shown_as: string; batch_id: string }[] };
        assert.equal(shown.chunks.length, report.batch.chunks.length);
        assert.ok(shown.chunks.every((chunk) => chunk.state === 'merged' && chunk.shown_as.endsWith('merged')));
        const stats = sim.stats().batch;
        assert.ok(stats.customIdsResubmitted > 0, 'some lines failed or expired and were resubmitted');
        assert.equal(stats.customIdsResubmittedAfterSuccess, 0);
        // Every chunk uploaded once and submitted once. (The simulator's content-based duplicate counters are not
        // used here: a resubmission of lines that failed again can be the same set of lines as an earlier chunk.)
        assert.ok((stats.batchesByStatus['failed'] ?? 0) > 0, 'some whole batches failed');
        const chunks = (files.report as unknown as { batch: { chunks: ChunkLine[] } }).batch.chunks;
        assertEachChunkOnce(chunks, stats.uploads, stats.batchesCreated[dialect.name as 'openai' | 'zhipu']);
      } finally {
        await sim.close();
      }
    });
  }

  it('anthropic: 2,000 lines in 3 chunks through Message Batches, answers converted back, every item in one file', async () => {
    const sim = await startSimulator({
      batchLifetimeMs: 300,
      batchLineFailRate: 0.04,
      batchLineExpireRate: 0.04,
      seed: 13,
    });
    try {
      // Some lines set temperature, which is not sent to Anthropic: the run says so once, on stderr and in the log.
      const lines = chatBatchLines(2000, { prefix: 'anthropic' }).map((line, index) => {
        if (index % 100 !== 7) return line;
        const parsed = JSON.parse(line) as { body: Record<string, unknown> };
        parsed.body['temperature'] = 0.2;
        return JSON.stringify(parsed);
      });
      const input = await temp.write('anthropic.jsonl', toJsonl(lines));
      const { result, files } = await runBatchToEnd(temp, input, 'b-anthropic', sim.url, [
        '--set',
        'provider=anthropic',
        '--set',
        'chunk.max_requests=800',
        '--max-attempts',
        '8',
      ]);
      assert.equal(files.succeeded.length, 2000);
      const report = files.report as unknown as { batch: { chunks: unknown[]; provider: string } };
      assert.ok(report.batch.chunks.length >= 3);
      assert.equal(report.batch.provider, 'anthropic-batch');
      const notices = result.stderr.split('\n').filter((line) => line.includes('not sent to Anthropic'));
      assert.equal(notices.length, 1, result.stderr);
      assert.match(notices[0] ?? '', /warning: temperature is set in the input but not sent to Anthropic/);
      const log = await readFile(join(temp.jobDir('b-anthropic'), 'job.log'), 'utf8');
      assert.match(log, /provider-warn/);
      const stats = sim.stats().batch;
      assert.ok(stats.batchesCreated.anthropic >= 3);
      assert.ok(stats.customIdsResubmitted > 0);
      assert.equal(stats.customIdsResubmittedAfterSuccess, 0);
      const chunks = (files.report as unknown as { batch: { chunks: ChunkLine[] } }).batch.chunks;
      assertEachChunkOnce(chunks, 0, stats.batchesCreated.anthropic);
    } finally {
      await sim.close();
    }
  });
});
