import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkResultFiles } from '../helpers/check-result-files.ts';
import { describeResult, runCli, runOutput } from '../helpers/run-cli.ts';
import { type SimulatorHandle, startSimulator } from '../helpers/start-simulator.ts';
import { chatBatchLines, createTempWorkspace, type TempWorkspace, toJsonl } from '../helpers/temp-workspace.ts';

/**
 * SPEC section 6 guarantee under every fault kind at once: each valid item ends in exactly one result file, and each
 * answer in output.jsonl is the simulator's answer to that item's own request.
 */

const ITEMS = 500;
const FAST_RETRIES = ['--set', 'retry.base_delay_ms=10', '--set', 'retry.max_delay_ms=100'];

describe('run under every fault kind', () => {
  let temp: TempWorkspace;
  let sim: SimulatorHandle;
  let input: string;

  before(async () => {
    temp = await createTempWorkspace();
    input = await temp.write('input.jsonl', toJsonl(chatBatchLines(ITEMS)));
    sim = await startSimulator({
      latencyMs: 5,
      jitterMs: 5,
      retryAfterMs: 20,
      hangMs: 10_000,
      seed: 7,
      failureRates: {
        http500: 0.05,
        http429: 0.01,
        resetBeforeResponse: 0.03,
        resetMidBody: 0.03,
        hang: 0.01,
        malformed: 0.03,
      },
    });
  });

  after(async () => {
    await sim.close();
    await temp.remove();
  });

  function runArgs(jobId: string, maxAttempts: number): string[] {
    return [
      '--workspace',
      temp.workspace,
      '--json',
      'run',
      input,
      '--job',
      jobId,
      '--base-url',
      sim.baseUrl,
      '--concurrency',
      '16',
      '--max-attempts',
      String(maxAttempts),
      '--timeout-ms',
      '800',
      '--no-progress',
      ...FAST_RETRIES,
    ];
  }

  it('with 2 attempts: some items fail, each item is in exactly one file, exit 3', async () => {
    sim.resetStats();
    const result = await runCli(runArgs('faults-2', 2), { cwd: temp.dir });
    assert.equal(result.code, 3, describeResult(result));
    assert.equal(runOutput(result)?.outcome, 'completed');

    const files = await checkResultFiles({ inputPath: input, jobDir: temp.jobDir('faults-2') });
    assert.equal(files.items.length, ITEMS);
    assert.equal(files.rejects.length, 0);
    assert.equal(files.missing.length, 0, 'nothing may be missing from a completed job');
    assert.ok(files.failed.length > 0, 'at a fault rate of 16% and 2 attempts, some items must fail');
    // Two counted attempts each; a 429 met on the way is a try too, but does not use up an attempt.
    for (const line of files.errorLines)
      assert.ok(line.attempts >= 2, `${line.custom_id}: ${String(line.attempts)} attempts`);

    const stats = sim.stats();
    for (const [kind, count] of Object.entries(stats.faults)) {
      // Oversized and stalled answers have their own test (cli-bounded-memory): an endless answer is never retried.
      if (['rateLimited', 'concurrencyLimited', 'unauthorized', 'endless', 'stall'].includes(kind)) continue;
      assert.ok(count > 0, `fault ${kind} never happened`);
    }
    assert.equal(stats.duplicates, 0, 'a request was answered 200 twice');
    assert.ok(stats.maxInFlight <= 16, `${String(stats.maxInFlight)} requests in flight at concurrency 16`);
    assert.equal(stats.answered200, files.succeeded.length, 'every 200 answer is in output.jsonl, once');
    assert.equal(files.report.attempts, stats.generationRequests, 'every request sent is recorded as an attempt');
  });

  it('with 12 attempts: every item succeeds, exit 0', async () => {
    sim.resetStats();
    const result = await runCli(runArgs('faults-12', 12), { cwd: temp.dir });
    assert.equal(result.code, 0, describeResult(result));

    const files = await checkResultFiles({ inputPath: input, jobDir: temp.jobDir('faults-12') });
    assert.equal(files.succeeded.length, ITEMS);
    assert.equal(files.failed.length + files.missing.length, 0);
    assert.equal(files.report.state, 'completed');

    const stats = sim.stats();
    assert.ok(stats.generationRequests > ITEMS, 'faults must have forced retries');
    assert.equal(stats.duplicates, 0, 'a request was answered 200 twice');
    assert.equal(stats.answered200, ITEMS);
  });
});
