import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { cliError, describeResult, runCli, runOutput } from '../helpers/run-cli.ts';
import { chatBatchLines } from '../helpers/temp-workspace.ts';
import { useCliWorkspace } from '../helpers/use-cli-workspace.ts';
import { runArgs } from '../helpers/run-args.ts';

/**
 * A `base_url` that cannot serve the job (nothing listens, or the API is not served at that path, or no Batches API)
 * stops the run at once with ENDPOINT_UNREACHABLE (exit 2) before any item is sent or failed; `resume` against the
 * right `base_url` then runs every item.
 */

const ITEMS = 12;

/** A port nothing listens on: bound once by the OS, then released. */
async function deadPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

describe('the endpoint is checked before the first request', () => {
  const ws = useCliWorkspace({ prefix: 'batchpilot-endpoint-', inputLines: chatBatchLines(ITEMS, { prefix: 'ep' }) });

  function run(job: string, baseUrl: string, extra: string[] = []) {
    return runCli(runArgs(ws.temp, ws.input, { job, baseUrl }, ['--no-progress', ...extra]), {
      cwd: ws.temp.dir,
      env: { OPENAI_API_KEY: 'sk-test' },
    });
  }

  function assertUnreachable(result: Awaited<ReturnType<typeof run>>, named: string): void {
    assert.equal(result.code, 2, describeResult(result));
    const error = cliError(result);
    assert.equal(error?.code, 'ENDPOINT_UNREACHABLE', describeResult(result));
    assert.ok(error.message.includes(named), `the message should name ${named}: ${error.message}`);
  }

  it('refuses a base_url nothing listens on, then resume runs every item once it is right', async () => {
    const dead = `http://127.0.0.1:${String(await deadPort())}/v1`;
    assertUnreachable(await run('refused', dead), dead);
    const resumed = await runCli(
      ['--workspace', ws.temp.workspace, '--json', 'resume', 'refused', '--base-url', ws.sim.baseUrl, '--no-progress'],
      { cwd: ws.temp.dir, env: { OPENAI_API_KEY: 'sk-test' } },
    );
    assert.equal(resumed.code, 0, describeResult(resumed));
    const counts = runOutput(resumed)?.report.counts;
    assert.deepEqual([counts?.['succeeded'], counts?.['failed']], [ITEMS, 0], describeResult(resumed));
  });

  it('still cancels a job whose endpoint cannot be reached', async () => {
    const dead = `http://127.0.0.1:${String(await deadPort())}/v1`;
    assertUnreachable(await run('cancel-dead', dead), dead);
    const cancelled = await runCli(
      ['--workspace', ws.temp.workspace, '--json', 'cancel', 'cancel-dead', '--no-progress'],
      {
        cwd: ws.temp.dir,
        env: { OPENAI_API_KEY: 'sk-test' },
      },
    );
    assert.equal(cancelled.code, 3, describeResult(cancelled));
    assert.equal(runOutput(cancelled)?.outcome, 'cancelled', describeResult(cancelled));
  });

  it('refuses a base_url whose path does not serve the API, sending nothing', async () => {
    ws.sim.resetStats();
    const wrong = `${ws.sim.url}/not-the-api`;
    assertUnreachable(await run('wrong-path', wrong), wrong);
    assert.equal(ws.sim.stats().generationRequests, 0, 'no generation request was made');
  });

  it('abandons the probe it started early when the command ends before the run (a prepare that fails)', async () => {
    // A server that takes the connection and never answers: a probe left running would hold the process 30 s.
    const silent = createNetServer(() => undefined);
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    try {
      const { port } = silent.address() as AddressInfo;
      await ws.temp.write('rows.jsonl', '{"id":"r1","text":"hello"}\n');
      const result = await runCli(
        [
          '--workspace',
          ws.temp.workspace,
          '--json',
          'run',
          'rows.jsonl',
          '--prompts',
          'missing-prompts.yaml',
          '--base-url',
          `http://127.0.0.1:${String(port)}/v1`,
          '--no-progress',
        ],
        // Well under the probe's 30 s: the command must end with its own error, not wait for the probe.
        { cwd: ws.temp.dir, env: { OPENAI_API_KEY: 'sk-test' }, timeoutMs: 15_000 },
      );
      assert.equal(result.code, 2, describeResult(result));
      assert.ok(!result.stderr.includes('still running'), describeResult(result));
      assert.ok(cliError(result)?.message.includes('missing-prompts.yaml'), describeResult(result));
    } finally {
      silent.close();
    }
  });

  it('refuses batch mode against a server with no Batches API', async () => {
    const wrong = `${ws.sim.url}/not-the-api`;
    assertUnreachable(await run('no-batches', wrong, ['--set', 'mode=batch']), wrong);
    assert.equal(ws.sim.stats().batch.uploads, 0, 'nothing was uploaded');
  });
});
