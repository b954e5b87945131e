import assert from 'node:assert/strict';
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  cliError,
  delay,
  describeResult,
  killRunningClis,
  runCli,
  runOutput,
  startCli,
  waitFor,
  type CliResult,
} from '../helpers/run-cli.ts';
import { BatchpilotError, createJob, resumeJob, runJob } from '../../src/index.ts';
import { startPostgres, type PostgresHandle } from '../helpers/start-postgres.ts';
import { startSimulator, type SimulatorHandle } from '../helpers/start-simulator.ts';
import { chatBatchLines, createTempWorkspace, toJsonl, type TempWorkspace } from '../helpers/temp-workspace.ts';

/**
 * Issue 14: `--store postgres://...` (and `BATCHPILOT_STORE`) runs a job end to end against PostgreSQL in one
 * process, with the same result files as on the workspace's SQLite store; `status`, `list` and `resume` read it
 * there; a server that is down is one line and exit 2, and a password is never echoed.
 */

const ITEMS = 60;
const KILL_ROWS = 800;
const DATA_EXTRA = ['--prompts', 'prompts.yaml', '--set', 'data.key=id'];
const ROWS = 24;
const PROMPTS = [
  'defaults: { model: gpt-4o-mini, request: { max_tokens: 60 } }',
  'prompts:',
  '  summary:',
  '    text: "Summarise: {{ text }}"',
  '    output: { format: text }',
].join('\n');

interface OutputLine {
  custom_id: string;
  response: { body: { choices: { message: { content: string } }[] } };
}

async function outputLines(jobDir: string): Promise<OutputLine[]> {
  return (await readFile(join(jobDir, 'output.jsonl'), 'utf8'))
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as OutputLine);
}

/** Each custom_id's answer text; fails on a custom_id written twice. */
function answersById(lines: readonly OutputLine[]): Map<string, string> {
  const answers = new Map<string, string>();
  for (const line of lines) {
    assert.ok(!answers.has(line.custom_id), `custom_id ${line.custom_id} is in output.jsonl twice`);
    answers.set(line.custom_id, line.response.body.choices[0]?.message.content ?? '');
  }
  return answers;
}

describe('--store postgres://', () => {
  let temp: TempWorkspace;
  let sim: SimulatorHandle;
  let postgres: PostgresHandle;
  let url: string;
  let input: string;

  const cli = (args: readonly string[], env: Record<string, string | undefined> = {}): Promise<CliResult> =>
    runCli(['--workspace', temp.workspace, '--json', ...args], { cwd: temp.dir, env });
  const runArgs = (source: string, job: string, extra: readonly string[] = []): string[] => [
    'run',
    source,
    '--job',
    job,
    '--base-url',
    sim.baseUrl,
    '--no-progress',
    '--concurrency',
    '8',
    '--set',
    'retry.base_delay_ms=10',
    ...extra,
  ];

  before(async () => {
    temp = await createTempWorkspace('batchpilot-pg-store-');
    [sim, postgres] = await Promise.all([startSimulator({ latencyMs: 2, seed: 14 }), startPostgres()]);
    url = await postgres.createDatabase('jobs');
    input = await temp.write('input.jsonl', toJsonl(chatBatchLines(ITEMS)));
    await temp.write(
      'posts.jsonl',
      toJsonl(
        Array.from({ length: ROWS }, (_, index) =>
          JSON.stringify({ id: `p${String(index)}`, text: `post ${String(index)}` }),
        ),
      ),
    );
    await temp.write('prompts.yaml', PROMPTS);
  });

  after(async () => {
    await killRunningClis();
    await sim.close();
    await postgres.stop();
    await temp.remove();
  });

  it('runs a request job and a data job with the same result files as on SQLite', async () => {
    const results = await Promise.all([
      cli(['--store', url, ...runArgs(input, 'pg-plain')]),
      cli(runArgs(input, 'sqlite-plain')),
    ]);
    // BATCHPILOT_STORE picks the store as --store does.
    results.push(await cli(runArgs('posts.jsonl', 'pg-data', DATA_EXTRA), { BATCHPILOT_STORE: url }));
    results.push(await cli(runArgs('posts.jsonl', 'sqlite-data', DATA_EXTRA)));
    for (const result of results) {
      assert.equal(result.code, 0, describeResult(result));
      assert.equal(runOutput(result)?.outcome, 'completed', describeResult(result));
    }
    for (const [postgresJob, sqliteJob, count] of [
      ['pg-plain', 'sqlite-plain', ITEMS],
      ['pg-data', 'sqlite-data', ROWS],
    ] as const) {
      const onPostgres = answersById(await outputLines(temp.jobDir(postgresJob)));
      const onSqlite = answersById(await outputLines(temp.jobDir(sqliteJob)));
      assert.equal(onPostgres.size, count);
      assert.deepEqual(onPostgres, onSqlite);
    }
    // The data job's join-back followed the run in its thread, which opened the same PostgreSQL store (had it opened
    // the workspace's SQLite, the job would not be there and the join-back would have run again after the run).
    const dataLog = await readFile(join(temp.jobDir('pg-data'), 'job.log'), 'utf8');
    assert.doesNotMatch(dataLog, /join-back-follow-fail/);

    // The jobs are in PostgreSQL, not in the workspace's SQLite store.
    const status = await cli(['--store', url, 'status', 'pg-plain']);
    assert.equal(status.code, 0, describeResult(status));
    const shown = JSON.parse(status.stdout) as { job_id: string; state: string; counts: { succeeded: number } };
    assert.equal(shown.job_id, 'pg-plain');
    assert.equal(shown.state, 'completed');
    assert.equal(shown.counts.succeeded, ITEMS);
    const listed = await runCli(['--workspace', temp.workspace, '--store', url, 'list'], { cwd: temp.dir });
    assert.equal(listed.code, 0, describeResult(listed));
    assert.match(listed.stdout, /pg-plain/);
    assert.match(listed.stdout, /pg-data/);
    assert.doesNotMatch(listed.stdout, /sqlite-plain/);
    // The database holds the jobs: they are listed from a folder with no workspace, which is not created.
    const elsewhere = temp.path('no-workspace');
    const listedElsewhere = await runCli(['--workspace', elsewhere, '--store', url, 'list'], { cwd: temp.dir });
    assert.match(listedElsewhere.stdout, /pg-plain/, describeResult(listedElsewhere));
    const statusElsewhere = await runCli(['--workspace', elsewhere, '--store', url, '--json', 'status', 'pg-data'], {
      cwd: temp.dir,
    });
    assert.equal((JSON.parse(statusElsewhere.stdout) as { state: string }).state, 'completed');
    await assert.rejects(stat(elsewhere), { code: 'ENOENT' });
    const onSqlite = await cli(['status', 'pg-plain']);
    assert.equal(cliError(onSqlite)?.code, 'JOB_NOT_FOUND', describeResult(onSqlite));
  });

  it('integrate, logs, wait and monitor read a job kept in PostgreSQL', async () => {
    const enriched = join(temp.jobDir('pg-data'), 'enriched.jsonl');
    const written = await readFile(enriched, 'utf8');
    await rm(enriched);
    const integrated = await cli(['--store', url, 'integrate', 'pg-data']);
    assert.equal(integrated.code, 0, describeResult(integrated));
    assert.equal(await readFile(enriched, 'utf8'), written, 'the same dataset, joined back from PostgreSQL');
    const logs = await cli(['--store', url, 'logs', 'pg-data']);
    assert.equal(logs.code, 0, describeResult(logs));
    assert.match(logs.stdout, /job-end/);
    const waited = await cli(['--store', url, 'wait', 'pg-plain']);
    assert.equal(waited.code, 0, describeResult(waited));
    const monitored = await cli(['--store', url, 'monitor', 'pg-plain']);
    assert.equal(monitored.code, 0, describeResult(monitored));
    assert.match(monitored.stdout, /pg-plain/);
    // Not in the workspace's SQLite store: the same commands there do not find it.
    const onSqlite = await cli(['wait', 'pg-plain']);
    assert.equal(cliError(onSqlite)?.code, 'JOB_NOT_FOUND', describeResult(onSqlite));
  });

  it('a workspace whose jobs are all in PostgreSQL is not taken for one whose SQLite store was lost', async () => {
    const only = join(temp.dir, 'pg-only-ws');
    const ran = await runCli(['--workspace', only, '--store', url, '--json', ...runArgs(input, 'pg-only')], {
      cwd: temp.dir,
    });
    assert.equal(ran.code, 0, describeResult(ran));
    // Without --store the workspace's SQLite store opens: the job folder is PostgreSQL's, not a lost job of its own.
    const listed = await runCli(['--workspace', only, '--json', 'list'], { cwd: temp.dir });
    assert.equal(listed.code, 0, describeResult(listed));
    assert.doesNotMatch(listed.stdout, /STORE_CORRUPT/);
  });

  it('resumes a data job killed with SIGKILL to its end, each custom_id once', async () => {
    await temp.write(
      'many-posts.jsonl',
      toJsonl(
        Array.from({ length: KILL_ROWS }, (_, index) =>
          JSON.stringify({ id: `k${String(index)}`, text: `post ${String(index)}` }),
        ),
      ),
    );
    const slow = await startSimulator({ latencyMs: 15, seed: 15 });
    const args = (job: string): string[] =>
      runArgs('many-posts.jsonl', job, DATA_EXTRA).map((arg) => (arg === sim.baseUrl ? slow.baseUrl : arg));
    try {
      const child = startCli(['--workspace', temp.workspace, '--json', '--store', url, ...args('pg-kill')], {
        cwd: temp.dir,
      });
      await waitFor(() => slow.stats().answered200 >= 100, 'the first answers');
      await delay(100);
      child.child.kill('SIGKILL');
      const killed = await child.done;
      assert.equal(killed.signal, 'SIGKILL', describeResult(killed));
      const resumed = await cli(['--store', url, 'resume', 'pg-kill', '--no-progress']);
      assert.equal(resumed.code, 0, describeResult(resumed));
      assert.equal(runOutput(resumed)?.outcome, 'completed');
      const answers = answersById(await outputLines(temp.jobDir('pg-kill')));
      assert.equal(answers.size, KILL_ROWS);
      // resume hands the URL to the join-back thread too.
      const log = await readFile(join(temp.jobDir('pg-kill'), 'job.log'), 'utf8');
      assert.doesNotMatch(log, /join-back-follow-fail/);
    } finally {
      await slow.close();
    }
  });

  it('takes the store from storeUrl in the library (runJob, createJob, resumeJob)', async () => {
    const config = { base_url: sim.baseUrl, model: 'gpt-4o-mini', concurrency: 4 };
    const ran = await runJob({ input, workspace: temp.workspace, storeUrl: url, jobId: 'lib-pg', config });
    assert.equal(ran.outcome, 'completed');
    const created = await createJob({
      data: temp.path('posts.jsonl'),
      prompts: temp.path('prompts.yaml'),
      workspace: temp.workspace,
      storeUrl: url,
      jobId: 'lib-pg-data',
      config: { ...config, data: { key: 'id' } },
    });
    assert.equal(created.jobId, 'lib-pg-data');
    const resumed = await resumeJob({ workspace: temp.workspace, storeUrl: url, jobId: 'lib-pg-data' });
    assert.equal(resumed.outcome, 'completed');
    assert.equal(answersById(await outputLines(temp.jobDir('lib-pg-data'))).size, ROWS);
    const log = await readFile(join(temp.jobDir('lib-pg-data'), 'job.log'), 'utf8');
    assert.doesNotMatch(log, /join-back-follow-fail/);
    const status = await cli(['--store', url, 'status', 'lib-pg']);
    assert.equal((JSON.parse(status.stdout) as { state: string }).state, 'completed', describeResult(status));
    await assert.rejects(
      createJob({ input, workspace: temp.workspace, storeUrl: 'mysql://bp:hunter2pw@127.0.0.1/jobs', config }),
      (error: unknown) =>
        error instanceof BatchpilotError && error.code === 'USAGE' && !error.message.includes('hunter2pw'),
    );
  });

  it('detaches a run to a background process of its own; wait sees it end, its files written', async () => {
    const detached = await cli(['--store', url, ...runArgs(input, 'pg-detached', ['--detach'])]);
    assert.equal(detached.code, 0, describeResult(detached));
    const status = JSON.parse(detached.stdout.trim().split('\n').at(-1) ?? '{}') as {
      state?: string;
      detached?: { pid: number };
      log?: string;
    };
    // Running in the background, or (a short job on a fast machine) already ended by the time it was looked at.
    assert.match(status.state ?? '', /^(running|completed)$/, describeResult(detached));
    assert.ok((status.detached?.pid ?? 0) > 0);
    assert.doesNotMatch(await readFile(status.log ?? '', 'utf8'), /postgres:\/\//, 'the store URL is not in its log');
    const waited = await cli(['--store', url, 'wait', 'pg-detached']);
    // On a failure, what the background run said (its log) and where the job stands.
    const explain = async (): Promise<string> =>
      `${describeResult(waited)}\n--- ${status.log ?? ''}\n${await readFile(status.log ?? '', 'utf8').catch(() => '')}\n--- status\n${(await cli(['--store', url, 'status', 'pg-detached'])).stdout}`;
    if (waited.code !== 0) assert.fail(await explain());
    assert.equal(answersById(await outputLines(temp.jobDir('pg-detached'))).size, ITEMS);
    // Run in slices: status shows them, all done.
    const shown = await cli(['--store', url, 'status', 'pg-detached']);
    const ended = JSON.parse(shown.stdout) as { state: string; slices?: { open: number; held: number; done: number } };
    assert.equal(ended.state, 'completed', describeResult(shown));
    assert.equal(ended.slices?.open, 0);
    assert.ok((ended.slices?.done ?? 0) >= 1, describeResult(shown));
    const text = await runCli(['--workspace', temp.workspace, '--store', url, 'status', 'pg-detached'], {
      cwd: temp.dir,
    });
    assert.match(text.stdout, /slices +\d+ done, 0 open \(0 held by workers\)/);
  });

  it('names the flag or variable for a value that is not a PostgreSQL URL, without echoing it', async () => {
    const byFlag = await cli(['--store', 'mysql://bp:hunter2pw@127.0.0.1/jobs', 'list']);
    assert.equal(byFlag.code, 2, describeResult(byFlag));
    assert.equal(cliError(byFlag)?.code, 'USAGE');
    assert.equal(cliError(byFlag)?.context?.['flag'], '--store');
    const byVariable = await cli(['list'], { BATCHPILOT_STORE: 'bp:hunter2pw@127.0.0.1/jobs' });
    assert.equal(byVariable.code, 2, describeResult(byVariable));
    assert.equal(cliError(byVariable)?.context?.['key'], 'BATCHPILOT_STORE');
    for (const result of [byFlag, byVariable]) assert.doesNotMatch(result.stdout + result.stderr, /hunter2pw/);
    // A worker needs the shared store its jobs are in: without one it says which flag to give.
    const worker = await cli(['worker'], { BATCHPILOT_STORE: '' });
    assert.equal(worker.code, 2, describeResult(worker));
    assert.equal(cliError(worker)?.code, 'USAGE');
    assert.equal(cliError(worker)?.context?.['flag'], '--store');
    const badLease = await cli(['--store', url, 'worker', '--lease-s', 'soon']);
    assert.equal(cliError(badLease)?.code, 'USAGE', describeResult(badLease));
    assert.match(cliError(badLease)?.message ?? '', /--lease-s expects a whole number/);
  });

  it('is one line and exit 2 (STORE_UNREACHABLE) when the server is down, with no password shown', async () => {
    const down = `postgres://bp:hunter2pw@127.0.0.1:1/jobs`;
    const run = await runCli(['--workspace', temp.workspace, '--store', down, ...runArgs(input, 'pg-down')], {
      cwd: temp.dir,
    });
    const status = await cli(['--store', down, 'status', 'pg-plain']);
    const list = await runCli(['--workspace', temp.workspace, '--store', down, 'list'], { cwd: temp.dir });
    assert.equal(cliError(status)?.code, 'STORE_UNREACHABLE', describeResult(status));
    for (const result of [run, status, list]) {
      assert.equal(result.code, 2, describeResult(result));
      assert.doesNotMatch(result.stdout + result.stderr, /hunter2pw/);
    }
    for (const result of [run, list]) {
      assert.match(result.stderr, /^batchpilot: [^\n]*\n$/, describeResult(result));
      assert.doesNotMatch(result.stderr, /internal error|\n\s+at /);
    }
  });
});
