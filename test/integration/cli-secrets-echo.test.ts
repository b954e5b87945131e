import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type CliResult, cliError, describeResult, runCli } from '../helpers/run-cli.ts';
import { type SimulatorHandle, startSimulator } from '../helpers/start-simulator.ts';
import {
  chatBatchLines,
  createTempWorkspace,
  filesContaining,
  listFilesRecursively,
  type TempWorkspace,
  toJsonl,
} from '../helpers/temp-workspace.ts';

/**
 * Issue 10 section 2: an endpoint that quotes the request back (`--echo-auth`: the Authorization header in error
 * messages, in `error.echo`, and as `echo` in 200 bodies, realtime answers and batch result lines alike) must not get
 * the key into any file of the workspace (state.db and its WAL included, read as bytes), the job log, the result
 * files, the report, or the stdout/stderr of `run`, `status --json` and `logs`. The keys are not `sk-` keys, so only
 * the redaction of the known secrets (not a pattern) can mask them; one has a `/`, which JSON may escape.
 */

const KEY = 'bp-echo/Key+0123456789abcdefXYZ';
const WRONG_KEY = 'bp-wrong-Key-9876543210zyxwvu';
/** Also looked for in pieces, so a key cut or re-encoded on the way would still be caught. */
const NEEDLES = [KEY, WRONG_KEY, '0123456789abcdefXYZ', '9876543210zyxwvu', encodeURIComponent(KEY)];
const SEED = 23;

describe('keys echoed by the endpoint', () => {
  let temp: TempWorkspace;
  let sim: SimulatorHandle;
  let input: string;
  const outputs: { label: string; result: CliResult }[] = [];

  before(async () => {
    temp = await createTempWorkspace('batchpilot-echo-');
    const bad = Array.from({ length: 3 }, (_, index) =>
      JSON.stringify({ custom_id: `bad-${String(index)}`, url: '/v1/chat/completions', body: { model: 'm' } }),
    );
    input = await temp.write('input.jsonl', toJsonl([...chatBatchLines(60), ...bad]));
    await temp.write('batchpilot.yaml', 'api_key_env: ECHO_TEST_KEY\n');
    sim = await startSimulator({
      apiKey: KEY,
      latencyMs: 1,
      seed: SEED,
      echoAuthRate: 0.6,
      failureRates: { http500: 0.1 },
      batchLifetimeMs: 300,
      batchLineFailRate: 0.2,
    });
  });

  after(async () => {
    await sim.close();
    await temp.remove();
  });

  async function cli(label: string, args: string[], key = KEY): Promise<CliResult> {
    const result = await runCli(['--workspace', temp.workspace, ...args], {
      cwd: temp.dir,
      env: { ECHO_TEST_KEY: key },
    });
    outputs.push({ label, result });
    return result;
  }

  const fast = [
    '--no-progress',
    '--max-attempts',
    '3',
    '--set',
    'retry.base_delay_ms=5',
    '--set',
    'retry.max_delay_ms=20',
  ];

  it('realtime: keeps answers and errors, without the key', async () => {
    const result = await cli('run realtime', [
      '--json',
      'run',
      input,
      '--job',
      'rt',
      '--base-url',
      sim.baseUrl,
      ...fast,
    ]);
    assert.equal(result.code, 3, `seed ${String(SEED)}\n${describeResult(result)}`);
    assert.ok(sim.stats().answered200 > 0);
    await cli('status realtime', ['--json', 'status', 'rt']);
    await cli('logs realtime', ['logs', 'rt']);
  });

  it('realtime with a wrong key: the 401 quoting it stops the job, and the key is nowhere', async () => {
    const result = await cli(
      'run wrong key',
      ['--json', 'run', input, '--job', 'wrong', '--base-url', sim.baseUrl, ...fast],
      WRONG_KEY,
    );
    assert.equal(result.code, 2, describeResult(result));
    assert.equal(cliError(result)?.code, 'AUTH_FAILED', describeResult(result));
    await cli('status wrong key', ['--json', 'status', 'wrong'], WRONG_KEY);
    await cli('logs wrong key', ['logs', 'wrong'], WRONG_KEY);
  });

  it('batch mode: result lines quoting the key are kept without it', async () => {
    const result = await cli('run batch', [
      '--json',
      'run',
      input,
      '--job',
      'batch',
      '--base-url',
      sim.baseUrl,
      '--set',
      'mode=batch',
      '--set',
      'poll_interval_s=0.05',
      ...fast,
    ]);
    assert.equal(result.code, 3, `seed ${String(SEED)}\n${describeResult(result)}`);
    await cli('status batch', ['--json', 'status', 'batch']);
    await cli('logs batch', ['logs', 'batch']);
  });

  it('left the key in no file, log, status or output', async () => {
    const files = await listFilesRecursively(temp.dir);
    assert.ok(files.some((file) => file.endsWith('state.db')));
    assert.ok(files.some((file) => file.endsWith('errors.jsonl')));
    for (const needle of NEEDLES) {
      assert.deepEqual(
        await filesContaining(temp.dir, needle),
        [],
        `files containing ${needle} (seed ${String(SEED)})`,
      );
    }
    for (const { label, result } of outputs) {
      for (const needle of NEEDLES) {
        assert.ok(!result.stdout.includes(needle), `stdout of ${label} contains ${needle}`);
        assert.ok(!result.stderr.includes(needle), `stderr of ${label} contains ${needle}`);
      }
    }
  });
});
