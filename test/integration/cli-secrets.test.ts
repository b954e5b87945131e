import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkResultFiles } from '../helpers/check-result-files.ts';
import { type CliResult, cliError, describeResult, runCli, runOutput } from '../helpers/run-cli.ts';
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
 * SPEC section 4: an API key read through `api_key_env` is never written anywhere: not to the state store, the job
 * log, the result files, the report, status or list output, stdout, stderr or an error message. Also when the key is
 * wrong: the 401 stops the job at once (exit 2, AUTH_FAILED), and the job can be resumed with the right key.
 */

const KEY = 'sk-test-abcdefghijklmnop1234';
const WRONG_KEY = 'sk-wrong-zyxwvutsrqponm9876';
/** Also looked for alone, so that a key masked only by its `sk-` pattern would still be caught. */
const SECRETS = [KEY, WRONG_KEY, 'abcdefghijklmnop1234', 'zyxwvutsrqponm9876'];
const GOOD_ITEMS = 200;
const BAD_BODIES = 3;
const CONCURRENCY = 8;

interface StatusOutput {
  job_id: string;
  state: string;
  config: Record<string, unknown>;
}

function assertNoSecret(text: string, where: string): void {
  for (const secret of SECRETS) assert.ok(!text.includes(secret), `${where} contains ${secret}`);
}

describe('API key secrecy', () => {
  let temp: TempWorkspace;
  let sim: SimulatorHandle;
  let input: string;
  const outputs: { label: string; result: CliResult }[] = [];

  before(async () => {
    temp = await createTempWorkspace();
    // Bad bodies get a 400 whose body lands in errors.jsonl; faults put error bodies in the store and the log.
    const badBodies = Array.from({ length: BAD_BODIES }, (_, index) =>
      JSON.stringify({ custom_id: `bad-${String(index)}`, url: '/v1/chat/completions', body: { model: 'm' } }),
    );
    input = await temp.write('input.jsonl', toJsonl([...chatBatchLines(GOOD_ITEMS), ...badBodies]));
    await temp.write('batchpilot.yaml', 'api_key_env: MY_TEST_KEY\nconcurrency: 8\n');
    sim = await startSimulator({
      apiKey: KEY,
      latencyMs: 2,
      seed: 5,
      failureRates: { http500: 0.05, malformed: 0.05, resetMidBody: 0.03 },
    });
  });

  after(async () => {
    await sim.close();
    await temp.remove();
  });

  async function cli(label: string, args: string[], key: string): Promise<CliResult> {
    const result = await runCli(['--workspace', temp.workspace, '--json', ...args], {
      cwd: temp.dir,
      env: { MY_TEST_KEY: key },
    });
    outputs.push({ label, result });
    return result;
  }

  const fast = [
    '--no-progress',
    '--max-attempts',
    '8',
    '--set',
    'retry.base_delay_ms=10',
    '--set',
    'retry.max_delay_ms=100',
  ];

  it('runs with the key from api_key_env and never writes it', async () => {
    const result = await cli('run', ['run', input, '--job', 'keyed', '--base-url', sim.baseUrl, ...fast], KEY);
    assert.equal(result.code, 3, describeResult(result));
    const files = await checkResultFiles({ inputPath: input, jobDir: temp.jobDir('keyed') });
    assert.equal(files.succeeded.length, GOOD_ITEMS);
    assert.deepEqual(files.failed, ['bad-0', 'bad-1', 'bad-2']);
    assert.equal(sim.stats().faults.unauthorized, 0, 'the key was sent');

    const status = await cli('status', ['status', 'keyed'], KEY);
    assert.equal(status.code, 0, describeResult(status));
    const shown = JSON.parse(status.stdout) as StatusOutput;
    assert.equal(shown.config['api_key_env'], 'MY_TEST_KEY');
  });

  it('stops at once on a wrong key with AUTH_FAILED, without writing either key', async () => {
    sim.resetStats();
    const result = await cli(
      'wrong key',
      ['run', input, '--job', 'wrongkey', '--base-url', sim.baseUrl, '--api-key-env', 'MY_TEST_KEY', ...fast],
      WRONG_KEY,
    );
    assert.equal(result.code, 2, describeResult(result));
    assert.equal(cliError(result)?.code, 'AUTH_FAILED', describeResult(result));
    assert.equal(runOutput(result)?.outcome, 'auth_failed');
    const stats = sim.stats();
    assert.ok(stats.faults.unauthorized > 0);
    assert.ok(stats.generationRequests <= CONCURRENCY, `${String(stats.generationRequests)} requests after a 401`);
    assert.equal(stats.answered200, 0);

    const files = await checkResultFiles({ inputPath: input, jobDir: temp.jobDir('wrongkey') });
    assert.equal(files.succeeded.length + files.failed.length, 0);
    assert.ok(files.missing.length > 0);
    assert.equal(files.report.missing_by_reason['auth'], files.missing.length);
  });

  it('resumes the stopped job once the key is right', async () => {
    const result = await cli('resume', ['resume', 'wrongkey', ...fast], KEY);
    assert.equal(result.code, 3, describeResult(result));
    const files = await checkResultFiles({ inputPath: input, jobDir: temp.jobDir('wrongkey') });
    assert.equal(files.succeeded.length, GOOD_ITEMS);
    assert.equal(files.failed.length, BAD_BODIES);

    const list = await cli('list', ['list'], KEY);
    assert.equal(list.code, 0, describeResult(list));
    const jobs = JSON.parse(list.stdout) as StatusOutput[];
    assert.deepEqual(jobs.map((job) => job.job_id).sort(), ['keyed', 'wrongkey']);
  });

  it('left no key in any file of the workspace or any output', async () => {
    const files = await listFilesRecursively(temp.dir);
    assert.ok(files.some((file) => file.endsWith('state.db')));
    assert.ok(files.some((file) => file.endsWith('job.log')));
    for (const secret of SECRETS) {
      assert.deepEqual(await filesContaining(temp.dir, secret), [], `files containing ${secret}`);
    }
    assert.ok(outputs.length >= 5);
    for (const { label, result } of outputs) {
      assertNoSecret(result.stdout, `stdout of ${label}`);
      assertNoSecret(result.stderr, `stderr of ${label}`);
    }
  });
});
