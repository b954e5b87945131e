import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkResultFiles } from '../helpers/check-result-files.ts';
import { describeResult, runCli, runOutput } from '../helpers/run-cli.ts';
import { type SimulatorHandle, startSimulator } from '../helpers/start-simulator.ts';
import { chatBatchLines, createTempWorkspace, type TempWorkspace, toJsonl } from '../helpers/temp-workspace.ts';
import { createTestSeed } from '../helpers/test-seed.ts';
import { runArgs } from '../helpers/run-args.ts';

/**
 * SPEC section 6 guarantee under every fault kind at once: each valid item ends in exactly one result file, and each
 * answer in output.jsonl is the simulator's answer to that item's own request. The fault dice come from the test
 * seed, printed in every assertion message.
 */

const ITEMS = 500;
const FAST_RETRIES = ['--set', 'retry.base_delay_ms=10', '--set', 'retry.max_delay_ms=100'];
const seed = createTestSeed(import.meta.url);
/** Fault kinds drawn often enough that some must occur in any seed's draw (about 30 expected per run). */
const FREQUENT_FAULTS = ['http500', 'resetBeforeResponse', 'resetMidBody', 'malformed'] as const;

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
      seed: seed.derive(1),
      failureRates: {
        http500: 0.05,
        http429: 0.01,
        resetBeforeResponse: 0.03,
        resetMidBody: 0.03,
        hang: 0.01,
        malformed: 0.03,
        http503: 0.01,
        http529: 0.01,
      },
    });
  });

  after(async () => {
    await sim.close();
    await temp.remove();
  });

  function jobArgs(jobId: string, maxAttempts: number): string[] {
    return runArgs(temp, input, { job: jobId, baseUrl: sim.baseUrl }, [
      '--concurrency',
      '16',
      '--max-attempts',
      String(maxAttempts),
      '--timeout-ms',
      '800',
      '--no-progress',
      ...FAST_RETRIES,
    ]);
  }

  it('with 2 attempts: some items fail, each item is in exactly one file, exit 3', () =>
    seed.withNote(async () => {
      sim.resetStats();
      const result = await runCli(jobArgs('faults-2', 2), { cwd: temp.dir });
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
      // The rare kinds (1%) may not come up in one draw; the frequent ones always do.
      for (const kind of FREQUENT_FAULTS) {
        assert.ok(stats.faults[kind] > 0, `fault ${kind} never happened`);
      }
      assert.equal(stats.duplicates, 0, 'a request was answered 200 twice');
      assert.ok(stats.maxInFlight <= 16, `${String(stats.maxInFlight)} requests in flight at concurrency 16`);
      assert.equal(stats.answered200, files.succeeded.length, 'every 200 answer is in output.jsonl, once');
      assert.equal(files.report.attempts, stats.generationRequests, 'every request sent is recorded as an attempt');
    }));

  it('with 12 attempts: every item succeeds, exit 0', () =>
    seed.withNote(async () => {
      sim.resetStats();
      const result = await runCli(jobArgs('faults-12', 12), { cwd: temp.dir });
      assert.equal(result.code, 0, describeResult(result));

      const files = await checkResultFiles({ inputPath: input, jobDir: temp.jobDir('faults-12') });
      assert.equal(files.succeeded.length, ITEMS);
      assert.equal(files.failed.length + files.missing.length, 0);
      assert.equal(files.report.state, 'completed');

      const stats = sim.stats();
      assert.ok(stats.generationRequests > ITEMS, 'faults must have forced retries');
      assert.equal(stats.duplicates, 0, 'a request was answered 200 twice');
      assert.equal(stats.answered200, ITEMS);
    }));
});
