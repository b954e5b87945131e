import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { describeResult, runCli, runOutput } from '../helpers/run-cli.ts';
import { chatBatchLines, createTempWorkspace, type TempWorkspace, toJsonl } from '../helpers/temp-workspace.ts';

/**
 * The reproduction: kill -9 once a chunk is downloading, against `--simulate` in batch mode. The built-in
 * simulator dies with the process, so the next run's simulator has neither the batch nor its output file (404).
 * `resume` and `cancel` must end the job (the unmerged lines are sent again, or cancelled), not exit 1 for ever.
 */

// Over 1,000 lines, so the merge commits a first group before the crash point `mid-download`.
const ITEMS = 1200;
const BATCH = ['--simulate', '--set', 'mode=batch', '--set', 'poll_interval_s=0.05', '--no-progress'];

describe('batch results gone after a kill -9 while downloading', () => {
  let temp: TempWorkspace;
  let input: string;

  before(async () => {
    temp = await createTempWorkspace('batchpilot-results-gone-');
    input = await temp.write('input.jsonl', toJsonl(chatBatchLines(ITEMS, { prefix: 'gone' })));
  });

  after(async () => {
    await temp.remove();
  });

  async function crashWhileDownloading(job: string): Promise<void> {
    const crashed = await runCli(['--workspace', temp.workspace, 'run', input, '--job', job, ...BATCH], {
      cwd: temp.dir,
      env: { BATCHPILOT_CRASH_AT: 'mid-download' },
    });
    assert.equal(crashed.signal, 'SIGKILL', describeResult(crashed));
  }

  it('resume sends the unmerged lines again and completes', async () => {
    await crashWhileDownloading('resumed');
    // The job keeps --simulate and mode from its run.
    const resumed = await runCli(['--workspace', temp.workspace, '--json', 'resume', 'resumed', '--no-progress'], {
      cwd: temp.dir,
    });
    assert.equal(resumed.code, 0, describeResult(resumed));
    const counts = runOutput(resumed)?.report.counts;
    assert.deepEqual([counts?.['succeeded'], counts?.['failed']], [ITEMS, 0], describeResult(resumed));
  });

  it('cancel ends the job, keeping what was merged', async () => {
    await crashWhileDownloading('cancelled');
    const cancelled = await runCli(['--workspace', temp.workspace, '--json', 'cancel', 'cancelled', '--no-progress'], {
      cwd: temp.dir,
    });
    assert.equal(cancelled.code, 3, describeResult(cancelled));
    const counts = runOutput(cancelled)?.report.counts;
    assert.ok((counts?.['succeeded'] ?? 0) >= 1000, `the lines merged before the crash are kept: ${cancelled.stdout}`);
    assert.equal((counts?.['succeeded'] ?? 0) + (counts?.['missing'] ?? 0), ITEMS, cancelled.stdout);
  });
});
