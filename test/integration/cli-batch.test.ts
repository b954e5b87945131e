import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkResultFiles } from '../helpers/check-result-files.ts';
import { describeResult, runCli, runOutput, startCli, waitFor } from '../helpers/run-cli.ts';
import { startSimulator } from '../helpers/start-simulator.ts';
import { chatBatchLines, createTempWorkspace, type TempWorkspace, toJsonl } from '../helpers/temp-workspace.ts';

/**
 * Batch mode end to end against the simulator's files + batches endpoints: chunks, line
 * failures and expiry resubmitted, exactly-once files, network loss, cancel, and the
 * enqueued-token limit.
 */

const FAST = [
  '--set',
  'poll_interval_s=0.1',
  '--set',
  'retry.base_delay_ms=20',
  '--set',
  'retry.max_delay_ms=200',
  '--no-progress',
];

function batchArgs(temp: TempWorkspace, input: string, jobId: string, baseUrl: string, extra: string[] = []): string[] {
  return [
    '--workspace',
    temp.workspace,
    '--json',
    'run',
    input,
    '--job',
    jobId,
    '--base-url',
    baseUrl,
    '--set',
    'mode=batch',
    ...FAST,
    ...extra,
  ];
}

interface ChunkLine {
  file_id: string | null;
  batch_id: string | null;
}

/** No chunk uploaded or submitted twice: the provider saw exactly one upload and one batch per chunk that has one. */
function assertEachChunkOnce(chunks: readonly ChunkLine[], uploads: number, batches: number): void {
  assert.equal(uploads, chunks.filter((chunk) => chunk.file_id !== null).length, 'uploads vs chunks with a file');
  assert.equal(batches, chunks.filter((chunk) => chunk.batch_id !== null).length, 'batches vs chunks with a batch');
  const ids = chunks.flatMap((chunk) => (chunk.batch_id === null ? [] : [chunk.batch_id]));
  assert.equal(new Set(ids).size, ids.length, 'two chunks claim the same batch');
}

describe('batch mode', () => {
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
    it(`${dialect.name}: 5,000 lines in 4 chunks, failed and expired lines resubmitted, every item in one file`, async () => {
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
          toJsonl(chatBatchLines(5000, { prefix: dialect.name })),
        );
        const result = await runCli(
          batchArgs(temp, input, `b-${dialect.name}`, `${sim.url}${dialect.path}`, [
            '--set',
            'chunk.max_requests=1500',
            '--set',
            'batch.max_concurrent=2',
            '--max-attempts',
            '8',
          ]),
          { cwd: temp.dir, timeoutMs: 90_000 },
        );
        assert.equal(result.code, 0, describeResult(result));
        assert.equal(runOutput(result)?.outcome, 'completed');
        const files = await checkResultFiles({ inputPath: input, jobDir: temp.jobDir(`b-${dialect.name}`) });
        assert.equal(files.succeeded.length, 5000);
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

  it('anthropic: 5,000 lines in 3 chunks through Message Batches, answers converted back, every item in one file', async () => {
    const sim = await startSimulator({
      batchLifetimeMs: 300,
      batchLineFailRate: 0.04,
      batchLineExpireRate: 0.04,
      seed: 13,
    });
    try {
      // Some lines set temperature, which is not sent to Anthropic: the run says so once, on stderr and in the log.
      const lines = chatBatchLines(5000, { prefix: 'anthropic' }).map((line, index) => {
        if (index % 100 !== 7) return line;
        const parsed = JSON.parse(line) as { body: Record<string, unknown> };
        parsed.body['temperature'] = 0.2;
        return JSON.stringify(parsed);
      });
      const input = await temp.write('anthropic.jsonl', toJsonl(lines));
      const result = await runCli(
        batchArgs(temp, input, 'b-anthropic', sim.url, [
          '--set',
          'provider=anthropic',
          '--set',
          'chunk.max_requests=2000',
          '--max-attempts',
          '8',
        ]),
        { cwd: temp.dir, timeoutMs: 90_000 },
      );
      assert.equal(result.code, 0, describeResult(result));
      const files = await checkResultFiles({ inputPath: input, jobDir: temp.jobDir('b-anthropic') });
      assert.equal(files.succeeded.length, 5000);
      const report = files.report as unknown as { batch: { chunks: unknown[]; provider: string } };
      assert.ok(report.batch.chunks.length >= 3);
      assert.equal(report.batch.provider, 'anthropic-batch');
      const notices = result.stderr.split('\n').filter((line) => line.includes('not sent to Anthropic'));
      assert.equal(notices.length, 1, result.stderr);
      assert.match(notices[0] ?? '', /warning: temperature is set in the input but not sent to Anthropic/);
      const log = await readFile(join(temp.jobDir('b-anthropic'), 'job.log'), 'utf8');
      assert.match(log, /provider-notice/);
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

  it('waits through a network outage and completes', async () => {
    const sim = await startSimulator({ batchLifetimeMs: 600, seed: 3 });
    try {
      const input = await temp.write('outage.jsonl', toJsonl(chatBatchLines(600, { prefix: 'outage' })));
      const child = startCli(batchArgs(temp, input, 'b-outage', sim.baseUrl, ['--set', 'chunk.max_requests=200']), {
        cwd: temp.dir,
        timeoutMs: 60_000,
      });
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
      const child = startCli(batchArgs(temp, input, 'b-cancel', sim.baseUrl, ['--set', 'chunk.max_requests=300']), {
        cwd: temp.dir,
        timeoutMs: 60_000,
      });
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
      const child = startCli(batchArgs(temp, input, 'b-sigint', sim.baseUrl, ['--set', 'chunk.max_requests=200']), {
        cwd: temp.dir,
        timeoutMs: 60_000,
      });
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

  it('paces a job larger than the enqueued-token limit instead of failing it', async () => {
    // Each short line is estimated at a few dozen tokens; the limit holds about one chunk of 200.
    const sim = await startSimulator({ batchLifetimeMs: 300, batchEnqueuedTokenLimit: 12_000, seed: 9 });
    try {
      const input = await temp.write('tokens.jsonl', toJsonl(chatBatchLines(800, { prefix: 'tokens' })));
      const result = await runCli(
        batchArgs(temp, input, 'b-tokens', sim.baseUrl, [
          '--set',
          'chunk.max_requests=200',
          '--set',
          'batch.max_concurrent=4',
          '--max-attempts',
          '2',
        ]),
        { cwd: temp.dir, timeoutMs: 90_000 },
      );
      assert.equal(result.code, 0, describeResult(result));
      const files = await checkResultFiles({ inputPath: input, jobDir: temp.jobDir('b-tokens') });
      assert.equal(files.succeeded.length, 800);
      assert.ok(sim.stats().batch.tokenLimitRejections > 0, 'the limit was hit and the job went on');

      // With batch.max_enqueued_tokens under the provider's limit, the job paces itself and is never refused.
      sim.resetStats();
      const paced = await runCli(
        batchArgs(temp, input, 'b-tokens-paced', sim.baseUrl, [
          '--set',
          'chunk.max_requests=200',
          '--set',
          'batch.max_concurrent=4',
          '--set',
          'batch.max_enqueued_tokens=10000',
          '--max-attempts',
          '1',
        ]),
        { cwd: temp.dir, timeoutMs: 90_000 },
      );
      assert.equal(paced.code, 0, describeResult(paced));
      assert.equal(sim.stats().batch.tokenLimitRejections, 0);
      const pacedFiles = await checkResultFiles({ inputPath: input, jobDir: temp.jobDir('b-tokens-paced') });
      assert.equal(pacedFiles.succeeded.length, 800);
    } finally {
      await sim.close();
    }
  });
});
