import assert from 'node:assert/strict';
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cliError, delay, describeResult, runCli, runOutput, startCli, waitFor } from '../helpers/run-cli.ts';
import {
  answersById,
  ITEMS,
  outputLines,
  ROWS,
  usePostgresStoreWorkspace,
} from '../helpers/postgres-store-workspace.ts';
import { startSimulator } from '../helpers/start-simulator.ts';
import { toJsonl } from '../helpers/temp-workspace.ts';

/**
 * Issue 14: `--store postgres://...` (and `BATCHPILOT_STORE`) runs a job end to end against PostgreSQL in one
 * process, with the same result files as on the workspace's SQLite store; `status`, `list` and `resume` read it
 * there. The library's `storeUrl`, `--detach` and the errors a URL or a server can cause are in
 * cli-postgres-store-access.test.ts.
 */

const KILL_ROWS = 800;
const DATA_EXTRA = ['--prompts', 'prompts.yaml', '--set', 'data.key=id'];

describe('--store postgres://', () => {
  const shared = usePostgresStoreWorkspace();
  const { cli, runArgs } = shared;

  it('runs a request job and a data job with the same result files as on SQLite', async () => {
    const results = await Promise.all([
      cli(['--store', shared.url, ...runArgs(shared.input, 'pg-plain')]),
      cli(runArgs(shared.input, 'sqlite-plain')),
    ]);
    // BATCHPILOT_STORE picks the store as --store does.
    results.push(await cli(runArgs('posts.jsonl', 'pg-data', DATA_EXTRA), { BATCHPILOT_STORE: shared.url }));
    results.push(await cli(runArgs('posts.jsonl', 'sqlite-data', DATA_EXTRA)));
    for (const result of results) {
      assert.equal(result.code, 0, describeResult(result));
      assert.equal(runOutput(result)?.outcome, 'completed', describeResult(result));
    }
    for (const [postgresJob, sqliteJob, count] of [
      ['pg-plain', 'sqlite-plain', ITEMS],
      ['pg-data', 'sqlite-data', ROWS],
    ] as const) {
      const onPostgres = answersById(await outputLines(shared.temp.jobDir(postgresJob)));
      const onSqlite = answersById(await outputLines(shared.temp.jobDir(sqliteJob)));
      assert.equal(onPostgres.size, count);
      assert.deepEqual(onPostgres, onSqlite);
    }
    // The data job's join-back followed the run in its thread, which opened the same PostgreSQL store (had it opened
    // the workspace's SQLite, the job would not be there and the join-back would have run again after the run).
    const dataLog = await readFile(join(shared.temp.jobDir('pg-data'), 'job.log'), 'utf8');
    assert.doesNotMatch(dataLog, /join-back-follow-fail/);

    // The jobs are in PostgreSQL, not in the workspace's SQLite store.
    const status = await cli(['--store', shared.url, 'status', 'pg-plain']);
    assert.equal(status.code, 0, describeResult(status));
    const shown = JSON.parse(status.stdout) as { job_id: string; state: string; counts: { succeeded: number } };
    assert.equal(shown.job_id, 'pg-plain');
    assert.equal(shown.state, 'completed');
    assert.equal(shown.counts.succeeded, ITEMS);
    const listed = await runCli(['--workspace', shared.temp.workspace, '--store', shared.url, 'list'], {
      cwd: shared.temp.dir,
    });
    assert.equal(listed.code, 0, describeResult(listed));
    assert.match(listed.stdout, /pg-plain/);
    assert.match(listed.stdout, /pg-data/);
    assert.doesNotMatch(listed.stdout, /sqlite-plain/);
    // The database holds the jobs: they are listed from a folder with no workspace, which is not created.
    const elsewhere = shared.temp.path('no-workspace');
    const listedElsewhere = await runCli(['--workspace', elsewhere, '--store', shared.url, 'list'], {
      cwd: shared.temp.dir,
    });
    assert.match(listedElsewhere.stdout, /pg-plain/, describeResult(listedElsewhere));
    const statusElsewhere = await runCli(
      ['--workspace', elsewhere, '--store', shared.url, '--json', 'status', 'pg-data'],
      {
        cwd: shared.temp.dir,
      },
    );
    assert.equal((JSON.parse(statusElsewhere.stdout) as { state: string }).state, 'completed');
    await assert.rejects(stat(elsewhere), { code: 'ENOENT' });
    const onSqlite = await cli(['status', 'pg-plain']);
    assert.equal(cliError(onSqlite)?.code, 'JOB_NOT_FOUND', describeResult(onSqlite));
  });

  it('integrate, logs, wait and monitor read a job kept in PostgreSQL', async () => {
    const enriched = join(shared.temp.jobDir('pg-data'), 'enriched.jsonl');
    const written = await readFile(enriched, 'utf8');
    await rm(enriched);
    const integrated = await cli(['--store', shared.url, 'integrate', 'pg-data']);
    assert.equal(integrated.code, 0, describeResult(integrated));
    assert.equal(await readFile(enriched, 'utf8'), written, 'the same dataset, joined back from PostgreSQL');
    const logs = await cli(['--store', shared.url, 'logs', 'pg-data']);
    assert.equal(logs.code, 0, describeResult(logs));
    assert.match(logs.stdout, /job-end/);
    const waited = await cli(['--store', shared.url, 'wait', 'pg-plain']);
    assert.equal(waited.code, 0, describeResult(waited));
    const monitored = await cli(['--store', shared.url, 'monitor', 'pg-plain']);
    assert.equal(monitored.code, 0, describeResult(monitored));
    assert.match(monitored.stdout, /pg-plain/);
    // Not in the workspace's SQLite store: the same commands there do not find it.
    const onSqlite = await cli(['wait', 'pg-plain']);
    assert.equal(cliError(onSqlite)?.code, 'JOB_NOT_FOUND', describeResult(onSqlite));
  });

  it('a workspace whose jobs are all in PostgreSQL is not taken for one whose SQLite store was lost', async () => {
    const only = join(shared.temp.dir, 'pg-only-ws');
    const ran = await runCli(
      ['--workspace', only, '--store', shared.url, '--json', ...runArgs(shared.input, 'pg-only')],
      {
        cwd: shared.temp.dir,
      },
    );
    assert.equal(ran.code, 0, describeResult(ran));
    // Without --store the workspace's SQLite store opens: the job folder is PostgreSQL's, not a lost job of its own.
    const listed = await runCli(['--workspace', only, '--json', 'list'], { cwd: shared.temp.dir });
    assert.equal(listed.code, 0, describeResult(listed));
    assert.doesNotMatch(listed.stdout, /STORE_CORRUPT/);
  });

  it('resumes a data job killed with SIGKILL to its end, each custom_id once', async () => {
    await shared.temp.write(
      'many-posts.jsonl',
      toJsonl(
        Array.from({ length: KILL_ROWS }, (_, index) =>
          JSON.stringify({ id: `k${String(index)}`, text: `post ${String(index)}` }),
        ),
      ),
    );
    const slow = await startSimulator({ latencyMs: 15, seed: 15 });
    const args = (job: string): string[] =>
      runArgs('many-posts.jsonl', job, DATA_EXTRA).map((arg) => (arg === shared.sim.baseUrl ? slow.baseUrl : arg));
    try {
      const child = startCli(
        ['--workspace', shared.temp.workspace, '--json', '--store', shared.url, ...args('pg-kill')],
        {
          cwd: shared.temp.dir,
        },
      );
      await waitFor(() => slow.stats().answered200 >= 100, 'the first answers');
      await delay(100);
      child.child.kill('SIGKILL');
      const killed = await child.done;
      assert.equal(killed.signal, 'SIGKILL', describeResult(killed));
      const resumed = await cli(['--store', shared.url, 'resume', 'pg-kill', '--no-progress']);
      assert.equal(resumed.code, 0, describeResult(resumed));
      assert.equal(runOutput(resumed)?.outcome, 'completed');
      const answers = answersById(await outputLines(shared.temp.jobDir('pg-kill')));
      assert.equal(answers.size, KILL_ROWS);
      // resume hands the URL to the join-back thread too.
      const log = await readFile(join(shared.temp.jobDir('pg-kill'), 'job.log'), 'utf8');
      assert.doesNotMatch(log, /join-back-follow-fail/);
    } finally {
      await slow.close();
    }
  });
});
