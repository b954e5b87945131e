import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

import { decideRetry } from '../../../src/engine/retry-policy.ts';
import { MalformedResponseError, ProviderError, TimeoutError } from '../../../src/errors/index.ts';
import { CommandProvider, type CommandTarget } from '../../../src/providers/command/command-provider.ts';
import { taskFilePaths } from '../../../src/providers/command/task-file-names.ts';
import { killGroup, livingGroupMembers } from '../../fixtures/command/process-groups.ts';

/** The provider against real child processes: the fixture script stands in for a generation script. */

const TASK_SCRIPT = fileURLToPath(new URL('../../fixtures/command/task.mjs', import.meta.url));
const SECRET = 'tk-unit-secret-0123456789';
const RETRY = { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100 };

function target(overrides: Partial<CommandTarget> = {}): CommandTarget {
  return {
    argv: [process.execPath, TASK_SCRIPT, '--id', '{custom_id}', '--attempt', '{attempt}', '--spec', '{spec}'],
    timeout_ms: 10_000,
    result: 'stdout_json',
    non_retryable_exit_codes: [7],
    interactive: false,
    secret_args: ['--api-key'],
    env: ['TASK_STATE_DIR', 'TASK_API_KEY'],
    ...overrides,
  };
}

const TARGETS: Record<string, CommandTarget> = {
  json: target(),
  file: target({
    result: 'file',
    argv: [...target().argv, '--api-key', '{api_key}', '--output', '{output_path}'],
  }),
  code: target({ result: 'exit_code' }),
  // Long enough for the fixture to start and write its pids on a loaded 2-core machine (400 ms was not, once).
  hang: target({ timeout_ms: 3000 }),
  missing: target({ argv: ['/nonexistent/batchpilot-no-such-program', '{custom_id}'] }),
};

interface Task {
  custom_id: string;
  target: string;
  spec?: Record<string, unknown>;
  api_key?: string;
}

describe('CommandProvider', () => {
  let workDir = '';
  let stateDir = '';
  let provider: CommandProvider;

  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'batchpilot-command-'));
    stateDir = join(workDir, 'state');
    process.env['TASK_STATE_DIR'] = stateDir;
    process.env['TASK_API_KEY'] = SECRET;
    provider = new CommandProvider({
      workDir,
      targets: TARGETS,
      env: process.env,
      killGraceMs: 200,
      maxResultBytes: 4096,
    });
  });

  after(async () => {
    await provider.close();
    // Should a test fail half-way, no hanging fixture outlives it.
    for (const name of ['hang', 'stopped', 'closing']) {
      const pids = await readFile(join(stateDir, `${name}.pids`), 'utf8').catch(() => '');
      for (const line of pids.trim().split('\n')) if (line !== '') killGroup(Number(line.split(' ')[0]));
    }
    delete process.env['TASK_STATE_DIR'];
    delete process.env['TASK_API_KEY'];
    await rm(workDir, { recursive: true, force: true });
  });

  function send(task: Task, options: { attempt?: number; signal?: AbortSignal } = {}) {
    const body = JSON.stringify({ spec: {}, ...task });
    return provider.send(
      { method: 'POST', url: `command:${task.target}`, body },
      {
        timeoutMs: 60_000,
        item: { customId: task.custom_id, seq: 0, attempt: options.attempt ?? 1 },
        ...(options.signal !== undefined && { signal: options.signal }),
      },
    );
  }

  async function sendError(task: Task, options: { signal?: AbortSignal } = {}): Promise<ProviderError> {
    try {
      await send(task, options);
    } catch (error) {
      assert.ok(error instanceof ProviderError, `expected a ProviderError, got ${String(error)}`);
      return error;
    }
    assert.fail('expected the task to fail');
  }

  async function readLog(customId: string): Promise<string> {
    return readFile(taskFilePaths(workDir, customId).logPath, 'utf8');
  }

  it('answers stdout JSON under result, with the exit code, duration and log path', async () => {
    const response = await send({ custom_id: 'ok/1', target: 'json', spec: { sleep_ms: 20 } }, { attempt: 2 });
    assert.equal(response.statusCode, 200);
    assert.equal(response.requestId, null);
    assert.equal(response.usage, null);
    assert.ok(!response.body.includes('\n'), 'the body is one line');
    const body = JSON.parse(String(response.body)) as Record<string, unknown>;
    const { logPath } = taskFilePaths(workDir, 'ok/1');
    assert.deepEqual(
      { ...body, duration_ms: typeof body['duration_ms'] },
      {
        target: 'json',
        exit_code: 0,
        duration_ms: 'number',
        output_path: null,
        log_path: logPath,
        result: { id: 'ok/1', attempt: 2, echo: null, size: null, key_ok: null },
      },
    );
    const log = await readLog('ok/1');
    assert.match(log, /^--- \d{4}-\d\d-\d\dT.*Z attempt 2 target json: .*task\.mjs --id ok\/1 --attempt 2 --spec /);
    assert.match(log, /"id": "ok\/1"/);
    assert.match(log, /--- exit 0 after \d+ ms\n$/);
  });

  it('reads a file result from {output_path} and masks the secret argument in the log', async () => {
    const response = await send({ custom_id: 'img', target: 'file', api_key: SECRET });
    const body = JSON.parse(String(response.body)) as { output_path: string; result: Record<string, unknown> };
    assert.equal(body.output_path, taskFilePaths(workDir, 'img').outputPath);
    assert.deepEqual(body.result, { id: 'img', attempt: 1, echo: null, size: null, key_ok: true });
    assert.deepEqual(JSON.parse(await readFile(body.output_path, 'utf8')), body.result);
    const log = await readLog('img');
    assert.match(log, / --api-key \*\*\* --output /);
    assert.ok(!log.includes(SECRET));
  });

  it('does not take a file left by an earlier attempt as the result', async () => {
    const { outputPath } = taskFilePaths(workDir, 'stale');
    await send({ custom_id: 'stale', target: 'file', api_key: SECRET });
    await writeFile(outputPath, '{"old":true}');
    const error = await sendError({ custom_id: 'stale', target: 'file', api_key: SECRET, spec: { no_output: true } });
    assert.ok(error instanceof MalformedResponseError);
    assert.match(error.message, /exited 0 but wrote no file/);
  });

  it('answers {} for result: exit_code', async () => {
    const response = await send({ custom_id: 'code', target: 'code', spec: { stdout: 'not json' } });
    assert.deepEqual((JSON.parse(String(response.body)) as { result: unknown }).result, {});
  });

  it('fails as malformed (retried) on stdout that is not JSON or empty', async () => {
    for (const [customId, stdout] of [
      ['bad-json', '{"a":'],
      ['empty', '  \n'],
    ] as const) {
      const error = await sendError({ custom_id: customId, target: 'json', spec: { stdout } });
      assert.ok(error instanceof MalformedResponseError, customId);
      assert.equal(error.kind, 'malformed');
      assert.equal(decideRetry(error, 1, RETRY, () => 0).kind, 'retry');
    }
  });

  it('fails with response_too_large (not retried) on stdout over max_response_bytes', async () => {
    const stdout = `"${'x'.repeat(5000)}"`;
    const error = await sendError({ custom_id: 'too-big', target: 'json', spec: { stdout } });
    assert.equal(error.code, 'RESPONSE_TOO_LARGE');
    assert.equal(error.causeLabel, 'response_too_large');
    assert.deepEqual(
      decideRetry(error, 1, RETRY, () => 0),
      { kind: 'fail-item', reason: 'errorNotRetryable' },
    );
  });

  it('maps a non-zero exit to a retried 500, with the exit code and redacted stderr in the message', async () => {
    const error = await sendError({
      custom_id: 'flaky',
      target: 'file',
      api_key: SECRET,
      spec: { fail_times: 1, leak_key: true, noise: true },
    });
    assert.equal(error.kind, 'http');
    assert.equal(error.status, 500);
    assert.equal(error.code, 'PROVIDER_FAILED');
    assert.match(
      error.message,
      /^command "file" exited with code 1 after \d+ ms: working on flaky \| still working \| /,
    );
    assert.match(
      error.message,
      /using key \*\*\* \| transient failure of flaky on run 1 \(log: tasks\/flaky-\w+\.log\)$/,
    );
    assert.ok(!error.message.includes(SECRET));
    assert.deepEqual(
      decideRetry(error, 1, RETRY, () => 0),
      { kind: 'retry', delayMs: 0 },
    );
    const log = await readLog('flaky');
    assert.match(log, /using key \*\*\*\n/);
    assert.ok(!log.includes(SECRET));
  });

  it('fails at once (422) on an exit code listed in non_retryable_exit_codes', async () => {
    const error = await sendError({ custom_id: 'bad', target: 'json', spec: { exit_code: 7 } });
    assert.equal(error.status, 422);
    assert.match(
      error.message,
      /exited with code 7 after \d+ ms \(listed in command.targets.json.non_retryable_exit_codes\)/,
    );
    assert.deepEqual(decideRetry(error, 1, RETRY), { kind: 'fail-item', reason: 'errorNotRetryable' });
  });

  it('fails at once (400) when the task cannot run: no value for a placeholder, no such program, no such target', async () => {
    const errors = [
      await sendError({ custom_id: 'no-key', target: 'file' }),
      await sendError({ custom_id: 'enoent', target: 'missing' }),
      await sendError({ custom_id: 'gone', target: 'nope' }),
    ];
    assert.match(errors[0]!.message, /task has no field "api_key" for \{api_key\} in command.targets.file.argv/);
    assert.match(errors[1]!.message, /command "missing" could not start \(ENOENT\)/);
    assert.match(errors[2]!.message, /no runnable command target for "command:nope"/);
    for (const error of errors) {
      assert.equal(error.status, 400);
      assert.deepEqual(decideRetry(error, 1, RETRY), { kind: 'fail-item', reason: 'errorNotRetryable' });
    }
  });

  it('kills the whole process group at the timeout, even a command that ignores SIGTERM', async () => {
    const error = await sendError({ custom_id: 'hang', target: 'hang', spec: { hang: true } });
    assert.ok(error instanceof TimeoutError);
    assert.equal(error.kind, 'timeout');
    assert.match(error.message, /ran past its timeout of 3000 ms \(command.targets.hang.timeout_ms\)/);
    assert.equal(decideRetry(error, 1, RETRY, () => 0).kind, 'retry');
    const [leader, helper] = (await readFile(join(stateDir, 'hang.pids'), 'utf8')).trim().split(' ').map(Number);
    assert.deepEqual(livingGroupMembers(leader!), [], 'the process group is gone');
    assert.notEqual(helper, leader);
    assert.match(await readLog('hang'), /SIGTERM ignored\n--- timed out \(timeout_ms 3000\): process group killed/);
  });

  it('stops the command when the job stops (aborted, not retried)', async () => {
    const controller = new AbortController();
    const pending = sendError({ custom_id: 'stopped', target: 'json', spec: { hang: true } }, controller);
    await waitForFile(join(stateDir, 'stopped.pids'));
    controller.abort();
    const error = await pending;
    assert.equal(error.kind, 'aborted');
    assert.deepEqual(decideRetry(error, 1, RETRY), { kind: 'fail-item', reason: 'abort' });
    const [leader] = (await readFile(join(stateDir, 'stopped.pids'), 'utf8')).trim().split(' ').map(Number);
    assert.deepEqual(livingGroupMembers(leader!), []);
    await assert.rejects(send({ custom_id: 'late', target: 'json' }, { signal: controller.signal }), {
      kind: 'aborted',
    });
  });

  it('close() stops commands still running', async () => {
    const pending = sendError({ custom_id: 'closing', target: 'json', spec: { hang: true } });
    await waitForFile(join(stateDir, 'closing.pids'));
    await provider.close();
    const error = await pending;
    assert.equal(error.kind, 'aborted');
    const [leader] = (await readFile(join(stateDir, 'closing.pids'), 'utf8')).trim().split(' ').map(Number);
    assert.deepEqual(livingGroupMembers(leader!), []);
  });
});

async function waitForFile(path: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await readFile(path);
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`${path} never appeared`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
