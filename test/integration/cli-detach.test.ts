import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { effectiveState } from '../../src/engine/lease.ts';
import type { Job } from '../../src/core/job.ts';
import { isProcessAlive } from '../../src/util/is-process-alive.ts';
import { createSchedulerStore, createStore } from '../../src/store/create-store.ts';
import type { Store } from '../../src/store/store.ts';
import { checkResultFiles } from '../helpers/check-result-files.ts';
import { cliError, delay, describeResult, killRunningClis, runCli, waitFor } from '../helpers/run-cli.ts';
import { type SimulatorHandle, type SimulatorOptions, startSimulator } from '../helpers/start-simulator.ts';
import {
  chatBatchLines,
  createTempWorkspace,
  filesContaining,
  type TempWorkspace,
  toJsonl,
} from '../helpers/temp-workspace.ts';

/**
 * Issue 5 section 1: `run --detach` hands the job to the one background scheduler of the workspace and prints its
 * status at once; several jobs run side by side under that one scheduler; a scheduler killed with -9 loses nothing
 * and the next `--detach` (or `scheduler start`) resumes its jobs; `cancel` from another process stops a detached
 * job and `resume` finishes it; `scheduler stop` leaves jobs resumable.
 *
 * The cases run concurrently, each with its own workspace, simulator and scheduler. Every scheduler started is
 * killed in `after`, found through its workspace's lock and the pids the detached runs printed.
 */

interface DetachedStatus {
  job_id: string;
  state: string;
  counts: { total: number; succeeded: number };
  files: Record<string, string>;
  log: string;
  scheduler: { pid: number; started: boolean; log: string; settings: Record<string, number> | null };
}

interface SchedulerStatusOutput {
  running: boolean;
  pid: number | null;
  jobs: { running: { job_id: string; state: string }[]; queued: { job_id: string; state: string }[] };
}

/** What the simulator of the first case requires as `Authorization: Bearer`. */
const KEY = 'sk-detach-0123456789abcdefghij';

const fixtures: Fixture[] = [];

after(async () => {
  await killRunningClis();
  for (const fixture of fixtures) await fixture.close();
});

class Fixture {
  readonly pids = new Set<number>();
  private store: Store | undefined;

  readonly temp: TempWorkspace;
  readonly sim: SimulatorHandle;

  private constructor(temp: TempWorkspace, sim: SimulatorHandle) {
    this.temp = temp;
    this.sim = sim;
  }

  static async create(simulator: SimulatorOptions): Promise<Fixture> {
    const fixture = new Fixture(await createTempWorkspace('batchpilot-detach-'), await startSimulator(simulator));
    fixtures.push(fixture);
    return fixture;
  }

  async cli(
    args: readonly string[],
    env: Record<string, string> = {},
  ): Promise<{ code: number | null; stdout: string; text: string }> {
    const result = await runCli(['--workspace', this.temp.workspace, '--json', ...args], { cwd: this.temp.dir, env });
    return { code: result.code, stdout: result.stdout, text: describeResult(result) };
  }

  /** `run INPUT --detach`; returns the printed status and how long the command took. */
  async detach(
    input: string,
    jobId: string,
    flags: readonly string[],
    env: Record<string, string> = {},
  ): Promise<{ status: DetachedStatus; ms: number }> {
    const started = performance.now();
    const result = await this.cli(
      [
        'run',
        input,
        '--detach',
        '--job',
        jobId,
        '--base-url',
        this.sim.baseUrl,
        // Schedulers of finished cases go away by themselves too.
        '--set',
        'scheduler.idle_exit_s=2',
        ...flags,
      ],
      env,
    );
    const ms = performance.now() - started;
    assert.equal(result.code, 0, result.text);
    const status = JSON.parse(result.stdout) as DetachedStatus;
    this.pids.add(status.scheduler.pid);
    return { status, ms };
  }

  async job(jobId: string): Promise<Job> {
    this.store ??= createStore({ workspace: this.temp.workspace });
    const job = await this.store.getJob(jobId);
    assert.ok(job !== undefined, `job ${jobId} exists`);
    return job;
  }

  async succeeded(jobId: string): Promise<number> {
    this.store ??= createStore({ workspace: this.temp.workspace });
    return (await this.store.counts(jobId)).succeeded;
  }

  async waitForState(jobId: string, state: string, timeoutMs = 40_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await this.job(jobId)).state !== state) {
      if (Date.now() > deadline) {
        throw new Error(
          `job ${jobId} is ${(await this.job(jobId)).state}, not ${state}, after ${String(timeoutMs)} ms`,
        );
      }
      await delay(50);
    }
  }

  async schedulerPid(): Promise<number | undefined> {
    const schedulerStore = createSchedulerStore({ workspace: this.temp.workspace });
    try {
      const lock = await schedulerStore.readLock();
      if (lock !== undefined) this.pids.add(lock.pid);
      return lock !== undefined && isProcessAlive(lock.pid) ? lock.pid : undefined;
    } finally {
      await schedulerStore.close();
    }
  }

  async close(): Promise<void> {
    await this.schedulerPid().catch(() => undefined);
    for (const pid of this.pids) {
      if (isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
    }
    await this.store?.close();
    await this.sim.close();
    await this.temp.remove();
  }
}

describe('run --detach and the background scheduler', { concurrency: true }, () => {
  it('returns at once, runs two jobs side by side under one scheduler, with exact files', async (t) => {
    // Jobs are made long by a low concurrency, not by many requests: the machine's CPU goes to the CLIs.
    const fixture = await Fixture.create({ latencyMs: 25, apiKey: KEY });
    const { temp } = fixture;
    // 10,000 lines to read; the limit keeps the work short (the rest is reported missing, `limit`).
    const big = await temp.write('big.jsonl', toJsonl(chatBatchLines(10_000, { prefix: 'big' })));
    const small = await temp.write('small.jsonl', toJsonl(chatBatchLines(200, { prefix: 'small' })));

    // Each job reads the key from a variable only its own --detach has: the scheduler spawned by the first inherits
    // KEY_A; KEY_B reaches the running scheduler over its socket. Neither may land in a file.
    const first = await fixture.detach(big, 'big', ['--concurrency', '2', '--limit', '800', '--api-key-env', 'KEY_A'], {
      KEY_A: KEY,
    });
    t.diagnostic(`run --detach on 10,000 lines returned in ${first.ms.toFixed(0)} ms (CLI from source under tsx)`);
    assert.equal(first.status.job_id, 'big');
    assert.ok(first.status.counts.succeeded < 800, 'the status came before the job finished');
    assert.equal(first.status.scheduler.started, true);
    assert.equal(first.status.log, `${temp.jobDir('big')}/job.log`);
    assert.equal(first.status.files['output'], `${temp.jobDir('big')}/output.jsonl`);
    assert.deepEqual(first.status.scheduler.settings, { max_jobs: 4, max_concurrency: 256, idle_exit_s: 2 });

    // A second scheduler is refused while this one lives (asked while the second job is being detached).
    const [second, refused] = await Promise.all([
      fixture.detach(small, 'small', ['--concurrency', '4', '--api-key-env', 'KEY_B'], { KEY_B: KEY }),
      fixture.cli(['scheduler', 'serve']),
    ]);
    assert.equal(refused.code, 2, refused.text);
    const refusal = cliError({ code: refused.code, signal: null, stdout: refused.stdout, stderr: '' });
    assert.equal(refusal?.code, 'SCHEDULER_RUNNING');
    assert.equal(second.status.scheduler.started, false);
    assert.equal(second.status.scheduler.pid, first.status.scheduler.pid, 'one scheduler for the workspace');

    // Both jobs held by that scheduler at the same moment.
    const pid = first.status.scheduler.pid;
    let together = false;
    const deadline = Date.now() + 30_000;
    while (!together && Date.now() < deadline) {
      const jobs = [await fixture.job('big'), await fixture.job('small')];
      together = jobs.every((job) => job.state === 'running' && job.lease?.pid === pid);
      if (!together) await delay(20);
    }
    assert.ok(together, 'both jobs were running at once');

    await fixture.waitForState('small', 'completed');
    await fixture.waitForState('big', 'completed');
    const smallFiles = await checkResultFiles({ inputPath: small, jobDir: temp.jobDir('small') });
    assert.equal(smallFiles.succeeded.length, 200);
    const bigFiles = await checkResultFiles({ inputPath: big, jobDir: temp.jobDir('big') });
    assert.equal(bigFiles.succeeded.length, 800);
    assert.equal(bigFiles.missing.length, 9200);
    assert.equal(fixture.sim.stats().answered200, 1000);
    assert.equal(fixture.sim.stats().duplicates, 0);
    assert.deepEqual(await filesContaining(temp.workspace, KEY), [], 'the key is in no file of the workspace');
  });

  it('resumes after scheduler stop + start, and after kill -9 on the next --detach, exactly once', async () => {
    const fixture = await Fixture.create({ latencyMs: 25 });
    const { temp, sim } = fixture;
    const input = await temp.write('killed.jsonl', toJsonl(chatBatchLines(1000, { prefix: 'killed' })));
    const later = await temp.write('later.jsonl', toJsonl(chatBatchLines(100, { prefix: 'later' })));
    // At 2 x 25 ms the job takes about 12 s, longer than a CLI call on a busy machine.
    const concurrency = 2;

    const { status } = await fixture.detach(input, 'killed', ['--concurrency', String(concurrency)]);
    await waitFor(() => sim.stats().answered200 >= 50, 'the detached job to be under way');

    // A clean stop: in-flight requests finish and are committed, the job stays queued.
    const stop = await fixture.cli(['scheduler', 'stop']);
    assert.equal(stop.code, 0, stop.text);
    assert.deepEqual(JSON.parse(stop.stdout), { stopped: true, pid: status.scheduler.pid });
    assert.equal((await fixture.job('killed')).state, 'interrupted');
    const answeredAtStop = sim.stats().answered200;
    assert.ok(answeredAtStop < 1000, 'the job finished before the stop');

    const start = await fixture.cli(['scheduler', 'start', '--set', 'scheduler.idle_exit_s=2']);
    assert.equal(start.code, 0, start.text);
    const started = JSON.parse(start.stdout) as { pid: number; started: boolean };
    fixture.pids.add(started.pid);
    assert.equal(started.started, true);
    await waitFor(() => sim.stats().answered200 >= answeredAtStop + 50, 'scheduler start to resume the job');

    process.kill(started.pid, 'SIGKILL');
    await waitFor(() => !isProcessAlive(started.pid), 'the scheduler to die');
    assert.ok(sim.stats().answered200 < 1000, 'the job finished before the kill');
    assert.equal(effectiveState(await fixture.job('killed'), Date.now()), 'interrupted');

    const next = await fixture.detach(later, 'later', []);
    assert.equal(next.status.scheduler.started, true, 'a new scheduler took over the dead one');
    assert.notEqual(next.status.scheduler.pid, started.pid);

    await fixture.waitForState('killed', 'completed');
    await fixture.waitForState('later', 'completed');
    const files = await checkResultFiles({ inputPath: input, jobDir: temp.jobDir('killed') });
    assert.equal(files.succeeded.length, 1000);
    assert.equal((await checkResultFiles({ inputPath: later, jobDir: temp.jobDir('later') })).succeeded.length, 100);
    const stats = sim.stats();
    assert.ok(stats.duplicates <= concurrency, `${String(stats.duplicates)} duplicates after one kill and one stop`);
    assert.equal(stats.answered200 - stats.duplicates, 1100, 'every item answered 200, duplicates aside');
    // With nothing left, the last scheduler exits by itself after scheduler.idle_exit_s.
    await waitFor(() => !isProcessAlive(next.status.scheduler.pid), 'the idle scheduler to exit', 15_000);
  });

  it('cancel from another process stops a detached job, and resume finishes it', async () => {
    const fixture = await Fixture.create({ latencyMs: 25 });
    const { temp } = fixture;
    const input = await temp.write('cancelled.jsonl', toJsonl(chatBatchLines(1000, { prefix: 'cancelled' })));

    const { status } = await fixture.detach(input, 'cancelled', ['--concurrency', '2']);
    const deadline = Date.now() + 30_000;
    while ((await fixture.succeeded('cancelled')) < 30 && Date.now() < deadline) await delay(50);

    const cancel = await fixture.cli(['cancel', 'cancelled']);
    assert.equal(cancel.code, 0, cancel.text);
    assert.equal((JSON.parse(cancel.stdout) as { runner: string }).runner, String(status.scheduler.pid));
    await fixture.waitForState('cancelled', 'cancelled', 10_000);
    const stopped = await checkResultFiles({ inputPath: input, jobDir: temp.jobDir('cancelled') });
    assert.ok(stopped.missing.length > 0, 'the job stopped before its end');
    assert.ok((stopped.report.missing_by_reason['cancelled'] ?? 0) > 0, JSON.stringify(stopped.report));

    const [shown, resumed] = await Promise.all([
      fixture.cli(['scheduler', 'status']),
      fixture.cli(['resume', 'cancelled', '--concurrency', '32', '--no-progress']),
    ]);
    const scheduler = JSON.parse(shown.stdout) as SchedulerStatusOutput;
    assert.deepEqual(scheduler.jobs, { running: [], queued: [] }, `a cancelled job leaves the queue\n${shown.text}`);
    assert.equal(resumed.code, 0, resumed.text);
    const files = await checkResultFiles({ inputPath: input, jobDir: temp.jobDir('cancelled') });
    assert.equal(files.succeeded.length, 1000);
    assert.equal(fixture.sim.stats().duplicates, 0);
  });
});
