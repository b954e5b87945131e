import assert from 'node:assert/strict';
import { chmod, cp, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createStore } from '../../src/store/create-store.ts';
import type { Job } from '../../src/core/job.ts';
import { collectJob } from '../../src/index.ts';
import { cliError, describeResult, killRunningClis, runCli, startCli, type CliResult } from '../helpers/run-cli.ts';
import { startSimulator, type SimulatorHandle } from '../helpers/start-simulator.ts';
import { chatBatchLines, createTempWorkspace, toJsonl, type TempWorkspace } from '../helpers/temp-workspace.ts';
import { SUMMARY_PROMPTS } from '../helpers/summary-prompts.ts';

/**
 * Issue 14, `collect JOB [--out DIR]` (docs/decisions/0033): the files a job's run wrote, written again from the
 * store anywhere and at any time. For a job that ended they are byte for byte the run's (report.json too, but for
 * its `files`, which name where they are); for one running or killed, what is settled so far, said on stderr, and the
 * job's row in the store is left as it was.
 */

const ITEMS = 40;
const LIMIT = 36;
/** The slow job's items: 250 ms each, 2 at a time, so it runs for about 10 s while it is collected. */
const SLOW_ITEMS = 80;
const PLAIN_FILES = ['output.jsonl', 'errors.jsonl', 'missing_records.jsonl', 'rejects.jsonl'] as const;

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
}

/** Each file of `names` in `collected` is byte for byte the one in `ran`. */
async function assertSameFiles(ran: string, collected: string, names: readonly string[]): Promise<void> {
  for (const name of names) {
    const [expected, actual] = await Promise.all([readFile(join(ran, name)), readFile(join(collected, name))]);
    assert.ok(expected.equals(actual), `${name} differs between ${ran} and ${collected}`);
  }
}

/** report.json of `ran` and `collected`: equal but for `files`, which names the files where they are. */
async function assertSameReport(ran: string, collected: string): Promise<Record<string, unknown>> {
  const { files: ranFiles, ...expected } = await readJson(join(ran, 'report.json'));
  const { files, ...actual } = await readJson(join(collected, 'report.json'));
  assert.deepEqual(actual, expected);
  for (const [name, path] of Object.entries(files as Record<string, string>)) {
    assert.equal(path, join(collected, (ranFiles as Record<string, string>)[name]?.split('/').pop() ?? ''));
  }
  return actual;
}

async function readJob(workspace: string, jobId: string): Promise<Job | undefined> {
  const store = createStore({ workspace });
  try {
    return await store.getJob(jobId);
  } finally {
    await store.close();
  }
}

describe('collect JOB', () => {
  let temp: TempWorkspace;
  let sim: SimulatorHandle;
  let slow: SimulatorHandle;

  const cli = (args: readonly string[]): Promise<CliResult> =>
    runCli(['--workspace', temp.workspace, ...args], { cwd: temp.dir });
  const runArgs = (source: string, job: string, baseUrl: string, extra: readonly string[] = []): string[] => [
    'run',
    source,
    '--job',
    job,
    '--base-url',
    baseUrl,
    '--no-progress',
    ...extra,
  ];

  before(async () => {
    temp = await createTempWorkspace('batchpilot-collect-');
    [sim, slow] = await Promise.all([
      startSimulator({ latencyMs: 2, seed: 33, failureRates: { http500: 0.2 } }),
      startSimulator({ latencyMs: 250, seed: 34 }),
    ]);
    const lines = chatBatchLines(ITEMS);
    lines.splice(7, 0, '{"custom_id": "broken", "messages": ');
    await temp.write('input.jsonl', toJsonl(lines));
    await temp.write('slow.jsonl', toJsonl(chatBatchLines(SLOW_ITEMS, { prefix: 'slow' })));
    await temp.write(
      'posts.jsonl',
      toJsonl(
        Array.from({ length: 12 }, (_, index) =>
          JSON.stringify({ id: `p${String(index)}`, text: `post ${String(index)}` }),
        ),
      ),
    );
    await temp.write('prompts.yaml', SUMMARY_PROMPTS);
  });

  after(async () => {
    await killRunningClis();
    await Promise.all([sim.close(), slow.close()]);
    await temp.remove();
  });

  it('writes the files of an ended job byte for byte as its run did, into --out DIR or its own folder', async () => {
    // Failed items (one attempt, 20% 500s), items left out by --limit and a reject: every file has lines.
    const ran = await cli(
      runArgs('input.jsonl', 'plain', sim.baseUrl, ['--limit', String(LIMIT), '--set', 'retry.max_attempts=1']),
    );
    assert.equal(ran.code, 3, describeResult(ran));
    const jobDir = temp.jobDir('plain');
    for (const name of PLAIN_FILES) assert.notEqual((await readFile(join(jobDir, name), 'utf8')).length, 0, name);
    const before = await readJob(temp.workspace, 'plain');

    const out = temp.path('collected');
    const collected = await cli(['collect', 'plain', '--out', out]);
    assert.equal(collected.code, 0, describeResult(collected));
    assert.equal(collected.stderr, '', 'an ended job: nothing on stderr');
    assert.match(
      collected.stdout,
      /collected job plain \(completed\) into .*collected: \d+ succeeded, \d+ failed, 4 missing, 1 rejected/,
    );
    await assertSameFiles(jobDir, out, PLAIN_FILES);
    const report = await assertSameReport(jobDir, out);
    assert.equal((report['counts'] as { rejected: number }).rejected, 1);

    // Into its own folder (no --out): every file, report.json included, is the run's byte for byte.
    const saved = temp.path('saved');
    await cp(jobDir, saved, { recursive: true });
    const again = await cli(['--json', 'collect', 'plain']);
    assert.equal(again.code, 0, describeResult(again));
    const shown = JSON.parse(again.stdout) as { job_id: string; state: string; ended: boolean; out_dir: string };
    assert.deepEqual([shown.job_id, shown.state, shown.ended, shown.out_dir], ['plain', 'completed', true, jobDir]);
    await assertSameFiles(saved, jobDir, [...PLAIN_FILES, 'report.json']);
    // Collect only reads: the job's row is as the run left it.
    assert.deepEqual(await readJob(temp.workspace, 'plain'), before);

    // The library does the same.
    const library = await collectJob({ workspace: temp.workspace, jobId: 'plain', out: temp.path('from-library') });
    assert.equal(library.ended, true);
    await assertSameFiles(jobDir, temp.path('from-library'), PLAIN_FILES);
  });

  it("writes a batch-mode job's report (chunks, provider, batch prices) as its run did", async () => {
    const ran = await cli(
      runArgs('slow.jsonl', 'batch', sim.baseUrl, ['--set', 'mode=batch', '--set', 'poll_interval_s=0.2']),
    );
    assert.ok(ran.code === 0 || ran.code === 3, describeResult(ran));
    const out = temp.path('batch-out');
    const collected = await cli(['collect', 'batch', '--out', out]);
    assert.equal(collected.code, 0, describeResult(collected));
    await assertSameFiles(temp.jobDir('batch'), out, PLAIN_FILES);
    const report = await assertSameReport(temp.jobDir('batch'), out);
    assert.equal((report['batch'] as { provider: string }).provider, 'openai-batch:openai');
  });

  it("writes a data job's enriched dataset and integration report as its run did", async () => {
    const ran = await cli(
      runArgs('posts.jsonl', 'data', sim.baseUrl, ['--prompts', 'prompts.yaml', '--set', 'data.key=id']),
    );
    assert.ok(ran.code === 0 || ran.code === 3, describeResult(ran));
    const jobDir = temp.jobDir('data');
    const out = temp.path('data-out');
    const collected = await cli(['collect', 'data', '--out', out]);
    assert.equal(collected.code, 0, describeResult(collected));
    assert.match(collected.stdout, /Enriched 12 rows/);
    await assertSameFiles(jobDir, out, [...PLAIN_FILES, 'enriched.jsonl', 'rows_without_valid.txt']);
    await assertSameReport(jobDir, out);
    const ranReport = await readJson(join(jobDir, 'integration_report.json'));
    const report = await readJson(join(out, 'integration_report.json'));
    // Only the paths differ: they name the files where they are.
    assert.deepEqual(report['files'], {
      enriched: join(out, 'enriched.jsonl'),
      report: join(out, 'integration_report.json'),
    });
    assert.deepEqual(
      { ...report, files: null, rows_without_valid: null },
      { ...ranReport, files: null, rows_without_valid: null },
    );

    // The job folder's frozen prompts gone (as on a machine without the folder): the plain files are still written,
    // and the error names the file and the fix.
    const prompts = join(jobDir, 'prompts.json');
    await rename(prompts, `${prompts}.away`);
    try {
      const elsewhere = temp.path('data-elsewhere');
      const partial = await cli(['collect', 'data', '--out', elsewhere]);
      assert.equal(partial.code, 2, describeResult(partial));
      assert.match(partial.stderr, /prompts\.json/);
      assert.match(partial.stderr, /run "batchpilot collect data" where the job folder/);
      await assertSameFiles(jobDir, elsewhere, PLAIN_FILES);
    } finally {
      await rename(`${prompts}.away`, prompts);
    }
  });

  it('writes what is settled of a running job, then of an interrupted one, and changes nothing in the store', async () => {
    const running = startCli(
      ['--workspace', temp.workspace, ...runArgs('slow.jsonl', 'slow', slow.baseUrl, ['--concurrency', '2'])],
      { cwd: temp.dir },
    );
    const out = temp.path('slow-out');
    let settled = 0;
    await (async () => {
      for (let tries = 0; tries < 200 && settled < 4; tries += 1) {
        const status = await cli(['--json', 'status', 'slow']);
        if (status.code === 0)
          settled = (JSON.parse(status.stdout) as { counts: { succeeded: number } }).counts.succeeded;
        if (settled < 4) await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    assert.ok(settled >= 4, `the slow job answered some items; ${running.stderr}`);
    const before = await readJob(temp.workspace, 'slow');
    const collected = await cli(['collect', 'slow', '--out', out]);
    assert.equal(collected.code, 0, describeResult(collected));
    const stderrLines = collected.stderr.trim().split('\n');
    assert.equal(stderrLines.length, 1, collected.stderr);
    assert.match(
      stderrLines[0] ?? '',
      /job slow is still running \(process \d+ on .*\): these files hold what is settled so far/,
    );
    const output = (await readFile(join(out, 'output.jsonl'), 'utf8')).split('\n').filter(Boolean);
    const missing = (await readFile(join(out, 'missing_records.jsonl'), 'utf8')).split('\n').filter(Boolean);
    assert.ok(output.length >= 4, `${String(output.length)} answers`);
    assert.equal(output.length + missing.length, SLOW_ITEMS, 'every item is answered or missing');
    const report = await readJson(join(out, 'report.json'));
    assert.equal(report['state'], 'running');
    const now = await readJob(temp.workspace, 'slow');
    assert.equal(now?.state, 'running');
    assert.equal(now?.lease?.token, before?.lease?.token, "the lease is the runner's still");

    // Killed: the job shows interrupted; collect says so and leaves its row (state, lease, times) untouched.
    running.child.kill('SIGKILL');
    await running.done;
    const killed = await readJob(temp.workspace, 'slow');
    const afterKill = await cli(['collect', 'slow', '--out', out]);
    assert.equal(afterKill.code, 0, describeResult(afterKill));
    assert.match(
      afterKill.stderr.trim(),
      /^batchpilot: job slow is interrupted: these files hold what is settled so far; missing_records.jsonl lists the rest; "batchpilot resume slow" carries it on$/,
    );
    assert.deepEqual(await readJob(temp.workspace, 'slow'), killed);
    const status = await cli(['--json', 'status', 'slow']);
    assert.equal((JSON.parse(status.stdout) as { state: string }).state, 'interrupted', describeResult(status));
  });

  it("refuses an unknown job, a folder it cannot write and one holding another job's files, naming the fix", async () => {
    const unknown = await cli(['--json', 'collect', 'nope', '--out', temp.path('x')]);
    assert.equal(unknown.code, 2, describeResult(unknown));
    assert.equal(cliError(unknown)?.code, 'JOB_NOT_FOUND');
    assert.match(cliError(unknown)?.message ?? '', /no job nope .*batchpilot list/);

    await writeFile(temp.path('a-file'), 'not a folder\n');
    const unwritable = await cli(['--json', 'collect', 'plain', '--out', join(temp.path('a-file'), 'sub')]);
    assert.equal(unwritable.code, 2, describeResult(unwritable));
    assert.equal(cliError(unwritable)?.code, 'OUT_DIR_UNWRITABLE');
    assert.match(cliError(unwritable)?.message ?? '', /a-file\/sub cannot be written .*pick a folder you can write/);
    if (process.getuid?.() !== 0) {
      const locked = temp.path('locked');
      await mkdir(locked);
      await chmod(locked, 0o500);
      const refused = await cli(['--json', 'collect', 'plain', '--out', locked]);
      assert.equal(cliError(refused)?.code, 'OUT_DIR_UNWRITABLE', describeResult(refused));
    }

    const taken = await cli(['--json', 'collect', 'plain', '--out', temp.jobDir('data')]);
    assert.equal(taken.code, 2, describeResult(taken));
    assert.equal(cliError(taken)?.code, 'OUT_DIR_IN_USE');
    assert.match(cliError(taken)?.message ?? '', /holds the result files of job data/);
  });
});
