import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cliError, describeResult, runCli } from '../helpers/run-cli.ts';
import { BatchpilotError, createJob, resumeJob, runJob } from '../../src/index.ts';
import {
  answersById,
  ITEMS,
  outputLines,
  ROWS,
  usePostgresStoreWorkspace,
} from '../helpers/postgres-store-workspace.ts';

/**
 * Issue 14: a PostgreSQL store reached other ways than `run`: `storeUrl` in the library, `run --detach` (a
 * background process of its own); a value that is not a PostgreSQL URL names its flag or variable, a server that is
 * down is one line and exit 2, and a password is never echoed.
 */

describe('--store postgres://: the library, --detach, and what a URL or a server can get wrong', () => {
  const shared = usePostgresStoreWorkspace();
  const { cli, runArgs } = shared;

  it('takes the store from storeUrl in the library (runJob, createJob, resumeJob)', async () => {
    const config = { base_url: shared.sim.baseUrl, model: 'gpt-4o-mini', concurrency: 4 };
    const ran = await runJob({
      input: shared.input,
      workspace: shared.temp.workspace,
      storeUrl: shared.url,
      jobId: 'lib-pg',
      config,
    });
    assert.equal(ran.outcome, 'completed');
    const created = await createJob({
      data: shared.temp.path('posts.jsonl'),
      prompts: shared.temp.path('prompts.yaml'),
      workspace: shared.temp.workspace,
      storeUrl: shared.url,
      jobId: 'lib-pg-data',
      config: { ...config, data: { key: 'id' } },
    });
    assert.equal(created.jobId, 'lib-pg-data');
    const resumed = await resumeJob({ workspace: shared.temp.workspace, storeUrl: shared.url, jobId: 'lib-pg-data' });
    assert.equal(resumed.outcome, 'completed');
    assert.equal(answersById(await outputLines(shared.temp.jobDir('lib-pg-data'))).size, ROWS);
    const log = await readFile(join(shared.temp.jobDir('lib-pg-data'), 'job.log'), 'utf8');
    assert.doesNotMatch(log, /join-back-follow-fail/);
    const status = await cli(['--store', shared.url, 'status', 'lib-pg']);
    assert.equal((JSON.parse(status.stdout) as { state: string }).state, 'completed', describeResult(status));
    await assert.rejects(
      createJob({
        input: shared.input,
        workspace: shared.temp.workspace,
        storeUrl: 'mysql://bp:hunter2pw@127.0.0.1/jobs',
        config,
      }),
      (error: unknown) =>
        error instanceof BatchpilotError && error.code === 'USAGE' && !error.message.includes('hunter2pw'),
    );
  });

  it('detaches a run to a background process of its own; wait sees it end, its files written', async () => {
    const detached = await cli(['--store', shared.url, ...runArgs(shared.input, 'pg-detached', ['--detach'])]);
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
    const waited = await cli(['--store', shared.url, 'wait', 'pg-detached']);
    // On a failure, what the background run said (its log) and where the job stands.
    const explain = async (): Promise<string> =>
      `${describeResult(waited)}\n--- ${status.log ?? ''}\n${await readFile(status.log ?? '', 'utf8').catch(() => '')}\n--- status\n${(await cli(['--store', shared.url, 'status', 'pg-detached'])).stdout}`;
    if (waited.code !== 0) assert.fail(await explain());
    assert.equal(answersById(await outputLines(shared.temp.jobDir('pg-detached'))).size, ITEMS);
    // Run in slices: status shows them, all done.
    const shown = await cli(['--store', shared.url, 'status', 'pg-detached']);
    const ended = JSON.parse(shown.stdout) as { state: string; slices?: { open: number; held: number; done: number } };
    assert.equal(ended.state, 'completed', describeResult(shown));
    assert.equal(ended.slices?.open, 0);
    assert.ok((ended.slices?.done ?? 0) >= 1, describeResult(shown));
    const text = await runCli(['--workspace', shared.temp.workspace, '--store', shared.url, 'status', 'pg-detached'], {
      cwd: shared.temp.dir,
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
    const badLease = await cli(['--store', shared.url, 'worker', '--lease-s', 'soon']);
    assert.equal(cliError(badLease)?.code, 'USAGE', describeResult(badLease));
    assert.match(cliError(badLease)?.message ?? '', /--lease-s expects a whole number/);
  });

  it('is one line and exit 2 (STORE_UNREACHABLE) when the server is down, with no password shown', async () => {
    const down = `postgres://bp:hunter2pw@127.0.0.1:1/jobs`;
    const run = await runCli(
      ['--workspace', shared.temp.workspace, '--store', down, ...runArgs(shared.input, 'pg-down')],
      {
        cwd: shared.temp.dir,
      },
    );
    const status = await cli(['--store', down, 'status', 'pg-plain']);
    const list = await runCli(['--workspace', shared.temp.workspace, '--store', down, 'list'], {
      cwd: shared.temp.dir,
    });
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
