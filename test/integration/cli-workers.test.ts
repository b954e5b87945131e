import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkResultFiles } from '../helpers/check-result-files.ts';
import { delay, describeResult, killRunningClis, runOutput, startCli, waitFor } from '../helpers/run-cli.ts';
import { sharedRunArgs, workerArgs } from '../helpers/shared-run-args.ts';
import { startPostgres, type PostgresHandle } from '../helpers/start-postgres.ts';
import { type SimulatorHandle, startSimulator } from '../helpers/start-simulator.ts';
import { chatBatchLines, createTempWorkspace, type TempWorkspace, toJsonl } from '../helpers/temp-workspace.ts';
import { createTestSeed } from '../helpers/test-seed.ts';

/**
 * Issue 14 §3: one job on three processes sharing a PostgreSQL store (the one that submitted it and two `worker`s),
 * every simulator fault on, one worker killed with -9 and another stopped with SIGSTOP (and resumed later). The job
 * completes, each item is in exactly one result file, and what was answered twice stays within what the lost
 * workers had in flight (docs/decisions/0031).
 */

const ITEMS = 20_000;
const CONCURRENCY = 16;
const LEASE_S = 2;
const seed = createTestSeed(import.meta.url);

describe('one job on three workers over PostgreSQL', () => {
  let temp: TempWorkspace;
  let sim: SimulatorHandle;
  let postgres: PostgresHandle;
  let url: string;
  let input: string;

  before(async () => {
    temp = await createTempWorkspace('batchpilot-workers-');
    [sim, postgres] = await Promise.all([
      startSimulator({
        latencyMs: 5,
        jitterMs: 5,
        retryAfterMs: 20,
        hangMs: 10_000,
        seed: seed.derive(1),
        trackDuplicates: true,
        failureRates: {
          http500: 0.02,
          http429: 0.01,
          resetBeforeResponse: 0.01,
          resetMidBody: 0.01,
          hang: 0.002,
          malformed: 0.01,
          http503: 0.005,
          http529: 0.005,
        },
      }),
      startPostgres(),
    ]);
    url = await postgres.createDatabase('workers');
    input = await temp.write('input.jsonl', toJsonl(chatBatchLines(ITEMS)));
  });

  after(async () => {
    await killRunningClis();
    await sim.close();
    await postgres.stop();
    await temp.remove();
  });

  const cliOptions = (): { cwd: string; timeoutMs: number } => ({ cwd: temp.dir, timeoutMs: 55_000 });

  it('completes exactly once with one worker killed and another stopped, the re-sends bounded', () =>
    seed.withNote(async () => {
      const target = { temp, url, jobId: 'shared-faults' };
      const jobId = target.jobId;
      const workers = [0, 1].map(() => startCli(workerArgs(target, ['--lease-s', String(LEASE_S)]), cliOptions()));
      const submitter = startCli(
        sharedRunArgs(target, input, sim.baseUrl, [
          '--concurrency',
          String(CONCURRENCY),
          '--max-attempts',
          '12',
          // Cuts the simulator's hangs short, yet long enough that a busy machine's stall does not cut an answered
          // request (which, sent again, would count as answered twice).
          '--timeout-ms',
          '2000',
          '--lease-s',
          String(LEASE_S),
          '--set',
          'retry.base_delay_ms=10',
          '--set',
          'retry.max_delay_ms=100',
        ]),
        cliOptions(),
      );
      const [killed, stopped] = workers as [ReturnType<typeof startCli>, ReturnType<typeof startCli>];
      // Both workers have sent their share of answers before one is killed and the other stopped.
      await waitFor(() => sim.stats().answered200 >= ITEMS / 5, 'a fifth of the job answered', 40_000);
      killed.child.kill('SIGKILL');
      stopped.child.kill('SIGSTOP');
      // Stopped well past its lease, and past the 5 s after which the server ends a session stopped inside a
      // transaction (whose row locks would otherwise keep its slices from the others until it wakes): its slices go
      // to the others, which must not wait for it.
      await delay(7_000);
      stopped.child.kill('SIGCONT');
      const result = await submitter.done;
      assert.equal(result.code, 0, describeResult(result));
      assert.equal(runOutput(result)?.outcome, 'completed');

      const files = await checkResultFiles({ inputPath: input, jobDir: temp.jobDir(jobId) });
      assert.equal(files.succeeded.length, ITEMS);
      assert.equal(files.failed.length + files.missing.length + files.rejects.length, 0);

      const stats = sim.stats();
      // Answered twice: only what the two lost workers had out when they were lost (their concurrency each).
      assert.ok(
        stats.duplicates <= 2 * CONCURRENCY,
        `${String(stats.duplicates)} answered twice; the lost workers had at most ${String(2 * CONCURRENCY)} out`,
      );
      assert.equal(stats.answered200 - stats.duplicates, ITEMS, 'every item answered, the duplicates aside');
      // Every request sent is an attempt recorded, except those whose outcome a lost worker never committed.
      const unrecorded = stats.generationRequests - files.report.attempts;
      assert.ok(
        unrecorded >= 0 && unrecorded <= 2 * CONCURRENCY,
        `${String(unrecorded)} requests sent but not recorded as attempts`,
      );

      // The stopped worker, resumed, found its slices gone and goes on with nothing: SIGTERM ends it cleanly.
      stopped.child.kill('SIGTERM');
      const ended = await stopped.done;
      assert.equal(ended.code, 0, describeResult(ended));
      // It gave its slices up: lost to a takeover (seen by its heartbeat or its next commit), or failed with the session
      // the server ended while it was stopped inside a transaction.
      assert.match(ended.stdout, /"msg":"slice-(lose|fail)"/, ended.stderr);
      assert.match(ended.stdout, /"msg":"worker-stop"/);
      assert.equal((await killed.done).signal, 'SIGKILL');
    }));
});
