import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { checkDataJob, DATA_JOB_SETTINGS, dataKillSimulator, writeDataJob } from '../helpers/data-kill-job.ts';
import { delay, describeResult, killRunningClis, startCli, waitFor } from '../helpers/run-cli.ts';
import { createTestSeed } from '../helpers/test-seed.ts';
import { useCliWorkspace } from '../helpers/use-cli-workspace.ts';

/**
 * Issue 12, tests: kill -9 at random points of a 5,000-row, 3-prompt data job with re-asks, in batch mode (re-asks go
 * out as waves, batches of their own), then resume until it completes. Kills: at a batch create of the first wave,
 * mid-download of a chunk's results (some lines merged, some not), at a random moment just after a re-ask wave's batch
 * was created, after a poll or before a chunk is closed, and in the join-back once the enriched dataset is written and
 * before its report (BATCHPILOT_CRASH_AT for the named points). At the end:
 * every source row once, in order, every (row, prompt, sample) that should have an answer in exactly one state (the
 * report agreeing), every custom_id in exactly one result file; and no chunk's remote batch submitted twice: every
 * request (an item's original or one of its re-asks) is a line of exactly one batch. Kill points and the simulator's
 * fault dice come from the test seed, printed in every assertion message.
 */

const JOB = 'data-batch-killed';

type Kill =
  | { command: 'run' | 'resume'; crashAt: string }
  /** SIGKILL `delayMs` after this process created a batch, once a re-ask wave was submitted (the simulator's lines). */
  | { command: 'resume'; afterWaveCreateMs: number };

const seed = createTestSeed(import.meta.url);

describe('a data job killed -9 in batch mode, then resumed', () => {
  // Registered first so it runs first: no killed run's CLI outlives the simulator and the folder it uses.
  after(killRunningClis);
  const ws = useCliWorkspace({ prefix: 'batchpilot-data-batch-kill-', simulator: dataKillSimulator(seed.derive(1)) });
  let files: { data: string; prompts: string };

  before(async () => {
    files = await writeDataJob(ws.temp);
  });

  it('ends with every (row, prompt, sample) once and every request in exactly one batch', async (t) => {
    const kills: Kill[] = [
      { command: 'run', crashAt: `after-create:${String(seed.between(1, 5))}` },
      { command: 'resume', crashAt: `mid-download:${String(seed.between(1, 4))}` },
      { command: 'resume', afterWaveCreateMs: seed.between(0, 150) },
      { command: 'resume', crashAt: seed.random() < 0.5 ? 'after-poll:1' : 'before-close:1' },
    ];
    const story = `kill points: ${JSON.stringify(kills)}; ${seed.note}`;
    t.diagnostic(story);
    await seed.withNote(() => killAndResume(t, kills, story));
  });

  const common = ['--no-progress', '--set', 'poll_interval_s=0.1', '--set', 'retry.base_delay_ms=20'];

  async function killAndResume(t: TestContext, kills: readonly Kill[], story: string): Promise<void> {
    for (const [index, kill] of kills.entries()) {
      const args =
        kill.command === 'run'
          ? [
              'run',
              files.data,
              '--prompts',
              files.prompts,
              '--job',
              JOB,
              '--base-url',
              ws.sim.baseUrl,
              '--set',
              'mode=batch',
              '--set',
              'chunk.max_requests=2500',
              ...DATA_JOB_SETTINGS,
            ]
          : ['resume', JOB];
      const env = 'crashAt' in kill ? { BATCHPILOT_CRASH_AT: kill.crashAt } : {};
      const createdBefore = ws.sim.stats().batch.batchesCreated.openai;
      const child = startCli(['--workspace', ws.temp.workspace, '--json', ...args, ...common], {
        cwd: ws.temp.dir,
        env,
      });
      if ('afterWaveCreateMs' in kill) {
        await waitFor(
          () => {
            const batch = ws.sim.stats().batch;
            return batch.batchesCreated.openai > createdBefore && batch.linesSubmitted > 16_667;
          },
          `a batch of run ${String(index)} after a re-ask wave was submitted`,
        );
        await delay(kill.afterWaveCreateMs);
        child.child.kill('SIGKILL');
      }
      const result = await child.done;
      assert.equal(
        result.signal,
        'SIGKILL',
        `run ${String(index)} was not killed at ${JSON.stringify(kill)}; ${story}\n${describeResult(result)}`,
      );
    }

    // The last run goes to the end and is killed in the join-back, with enriched.jsonl written and not its report.
    const resume = ['resume', JOB, ...common];
    const last = await ws.cli(resume, { env: { BATCHPILOT_CRASH_AT: 'before-integration-report' } });
    assert.equal(last.signal, 'SIGKILL', `the join-back was not killed; ${story}\n${describeResult(last)}`);
    const linesToTheEnd = ws.sim.stats().batch.linesSubmitted;
    const final = await ws.cli(resume);
    assert.equal(final.code, 0, `${story}\n${describeResult(final)}`);
    assert.equal(
      ws.sim.stats().batch.linesSubmitted,
      linesToTheEnd,
      'a resume of a job killed in its join-back sent lines',
    );

    const tally = await checkDataJob(ws.temp.jobDir(JOB));
    const stats = ws.sim.stats().batch;
    const report = JSON.parse(await readFile(join(ws.temp.jobDir(JOB), 'report.json'), 'utf8')) as {
      batch: { chunks: { batch_id: string | null }[] };
    };
    const batchIds = report.batch.chunks.flatMap((chunk) => (chunk.batch_id === null ? [] : [chunk.batch_id]));
    t.diagnostic(
      `${story}; ${String(tally.items)} items, ${String(tally.reasks)} re-asks, ${String(batchIds.length)} batches, ${String(stats.linesSubmitted)} lines submitted`,
    );
    assert.ok(tally.reasks > 0, 'no re-ask happened');
    assert.equal(stats.duplicateBatches, 0, 'a batch created twice from one uploaded file');
    assert.equal(new Set(batchIds).size, batchIds.length, 'two chunks claim the same batch');
    assert.equal(stats.batchesCreated.openai, batchIds.length, 'batches created against the chunks that hold one');
    // Each request in exactly one batch: no chunk resubmitted, no line lost, a custom_id again only as its re-ask.
    assert.equal(stats.linesSubmitted, tally.items + tally.reasks, 'batch lines against requests and re-asks');
    assert.equal(stats.customIdsResubmitted, tally.reasks, 'custom_ids sent again against re-asks');
  }
});
