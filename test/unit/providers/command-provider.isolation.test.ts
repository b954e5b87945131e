import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decideRetry } from '../../../src/engine/retry-policy.ts';
import { ProviderError } from '../../../src/errors/index.ts';
import { CommandProvider, type CommandTarget } from '../../../src/providers/command/command-provider.ts';
import { taskFileStem } from '../../../src/providers/command/task-file-names.ts';

/**
 * Issue 10 section 2, command tasks: a command gets only a base of batchpilot's environment and the variables its
 * target names (never the API key it was not given); a value named like a secret is masked in the result; a task
 * field that is a whole argument cannot turn into an option of the command unless the target allows it; task file
 * names never start with `-`.
 */

const PARENT_KEY = 'sk-parent-secret-0123456789abcdef';
const GIVEN_TOKEN = 'given-token-value-0123456789';
const RETRY = { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100 };

function target(argv: string[], overrides: Partial<CommandTarget> = {}): CommandTarget {
  return {
    argv,
    timeout_ms: 10_000,
    result: 'stdout_json',
    non_retryable_exit_codes: [],
    interactive: false,
    secret_args: [],
    ...overrides,
  };
}

/** Prints its environment, or its arguments, as one JSON value. */
const PRINT_ENV = [process.execPath, '-e', 'process.stdout.write(JSON.stringify(process.env))'];
const PRINT_ARGS = [process.execPath, '-e', 'process.stdout.write(JSON.stringify(process.argv.slice(1)))', '--'];

describe('CommandProvider isolation', () => {
  let workDir = '';
  let provider: CommandProvider;
  let seq = 0;

  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'batchpilot-command-isolation-'));
    provider = new CommandProvider({
      workDir,
      env: {
        PATH: process.env['PATH'],
        HOME: '/home/x',
        OPENAI_API_KEY: PARENT_KEY,
        MY_TOKEN: GIVEN_TOKEN,
        PLAIN: 'p',
      },
      targets: {
        env: target(PRINT_ENV, { env: ['MY_TOKEN', 'PLAIN', 'UNSET_ONE'] }),
        args: target([...PRINT_ARGS, '{prompt}', '--size={size}']),
        argsAllowed: target([...PRINT_ARGS, '{prompt}'], { allow_option_values: true }),
      },
    });
  });

  after(async () => {
    await provider.close();
    delete process.env['BP_ISOLATION_API_KEY'];
    await rm(workDir, { recursive: true, force: true });
  });

  async function send(targetName: string, fields: Record<string, unknown>): Promise<unknown> {
    seq += 1;
    const customId = `t-${String(seq)}`;
    const response = await provider.send(
      { method: 'POST', url: `command:${targetName}`, body: JSON.stringify({ custom_id: customId, ...fields }) },
      { timeoutMs: 10_000, item: { customId, seq, attempt: 1 } },
    );
    return (JSON.parse(String(response.body)) as { result: unknown }).result;
  }

  it('passes the base variables and the named ones only; a secret-named value is masked in the result', async () => {
    const env = (await send('env', {})) as Record<string, string>;
    assert.equal(env['BP_ISOLATION_API_KEY'], undefined, 'the API key of batchpilot reached the command');
    assert.equal(env['HOME'], '/home/x');
    assert.equal(env['PLAIN'], 'p');
    assert.equal(env['MY_TOKEN'], '***', 'the given token is in the result unmasked');
    assert.ok(!('UNSET_ONE' in env));
  });

  it('refuses a whole-argument field starting with "-" (not retried), unless the target allows it', async () => {
    await assert.rejects(send('args', { prompt: '--out=/etc/x', size: 1 }), (error: unknown) => {
      assert.ok(error instanceof ProviderError);
      assert.equal(error.status, 400);
      assert.equal(decideRetry(error, 1, RETRY, () => 0).kind === 'retry', false);
      return true;
    });
    // Inside a longer argument a value cannot become an option.
    assert.deepEqual(await send('args', { prompt: 'a cat', size: '-1' }), ['a cat', '--size=-1']);
    assert.deepEqual(await send('argsAllowed', { prompt: '-v' }), ['-v']);
  });

  it('never names a task file with a leading "-"', () => {
    for (const id of ['-rf', '--out=x', '-', '.-x']) assert.ok(!taskFileStem(id).startsWith('-'), taskFileStem(id));
  });
});
