import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBatchJob } from '../helpers/batch-cli.ts';
import { checkResultFiles } from '../helpers/check-result-files.ts';
import { describeResult, runCli, runOutput, waitFor } from '../helpers/run-cli.ts';
import { startSimulator } from '../helpers/start-simulator.ts';
import { chatBatchLines, createTempWorkspace, type TempWorkspace, toJsonl } from '../helpers/temp-workspace.ts';

/**
 * Batch mode when the job is stopped from outside: a network outage waited through, `cancel` from another process,
 * Ctrl-C and `resume`.
 */

describe('batch mode: outage, cancel, Ctrl-C', () => {
  let temp: TempWorkspace;

  before(async () => {
    temp = await createTempWorkspace('batchpilot-batch-');
  });

  after(async () => {
    await temp.remove();
  });

  it('waits through a network outage and completes', async () => {
    const sim = await startSimulator({ batchLifetimeMs: 600, seed: 3 });
    try {
      const input = await temp.write('outage.jsonl', toJsonl(chatBatchLines(600, { prefix: 'outage' })));
      const child = startBatchJob(temp, input, 'b-outage', sim.baseUrl, ['--set', 'chunk.max_requests=200']);
      await waitFor(() => sim.stats().batch.batchesCreated.openai >= 1, 'the first batch');
      sim.setOutage({ mode: 'refuse', durationMs: 1500 });
      await waitFor(
        () => child.stderr.includes('provider unreachable') || child.stdout.length > 0,
        'the outage',
        20_000,
      );
      const result = await child.done;
      assert.equal(result.code, 0, describeResult(result));
      const files = await checkResultFiles({ inputPath: input, jobDir: temp.jobDir('b-outage') });
      assert.equal(files.succeeded.length, 600);
    } finally {
      await sim.close();
    }
  });

  it('cancel JOB cancels the remote batches and keeps what they finished', async () => {
    // Long enough that the cancel lands mid-batch even when a loaded machine takes seconds to start the CLI.
    const sim = await startSimulator({ batchLifetimeMs: 30_000, seed: 5 });
    try {
      const input = await temp.write('cancel.jsonl', toJsonl(chatBatchLines(900, { prefix: 'cancel' })));
      const child = startBatchJob(temp, input, 'b-cancel', sim.baseUrl, ['--set', 'chunk.max_requests=300']);
      await waitFor(() => sim.stats().batch.batchesCreated.openai >= 3, 'three batches');
      // Let the batches get part of the way, so some lines finish before the cancel.
      await new Promise((resolve) => setTimeout(resolve, 4500));
      const cancel = await runCli(['--workspace', temp.workspace, 'cancel', 'b-cancel'], { cwd: temp.dir });
      assert.equal(cancel.code, 0, describeResult(cancel));
      const result = await child.done;
      assert.equal(result.code, 3, describeResult(result));
      assert.equal(runOutput(result)?.outcome, 'cancelled');
      const files = await checkResultFiles({ inputPath: input, jobDir: temp.jobDir('b-cancel') });
      assert.ok(files.succeeded.length > 0, 'finished lines are kept');
      assert.ok(files.missing.length > 0, 'cancelled lines are missing');
      assert.equal(files.failed.length, 0);
      assert.equal(files.report.missing_by_reason['cancelled'], files.missing.length);
      assert.ok((sim.stats().batch.batchesByStatus['cancelled'] ?? 0) >= 1);
    } finally {
      await sim.close();
    }
  });

  it('Ctrl-C leaves the remote batches running; resume collects them without submitting again', async () => {
    const sim = await startSimulator({ batchLifetimeMs: 1500, seed: 17 });
    try {
      const input = await temp.write('sigint.jsonl', toJsonl(chatBatchLines(400, { prefix: 'sigint' })));
      const child = startBatchJob(temp, input, 'b-sigint', sim.baseUrl, ['--set', 'chunk.max_requests=200']);
      await waitFor(() => sim.stats().batch.batchesCreated.openai >= 2, 'both batches');
      child.child.kill('SIGINT');
      const stopped = await child.done;
      assert.equal(stopped.code, 130, describeResult(stopped));
      assert.equal(runOutput(stopped)?.outcome, 'interrupted');
      const resumed = await runCli(['--workspace', temp.workspace, '--json', 'resume', 'b-sigint', '--no-progress'], {
        cwd: temp.dir,
      });
      assert.equal(resumed.code, 0, describeResult(resumed));
      const files = await checkResultFiles({ inputPath: input, jobDir: temp.jobDir('b-sigint') });
      assert.equal(files.succeeded.length, 400);
      const stats = sim.stats().batch;
      assert.equal(stats.batchesCreated.openai, 2, 'resume adopted the running batches');
      assert.equal(stats.uploads, 2);
    } finally {
      await sim.close();
    }
  });
});
