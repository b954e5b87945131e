import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

import { taskFileStem } from '../../src/providers/command/task-file-names.ts';
import { killGroup, livingGroupMembers } from '../fixtures/command/process-groups.ts';
import {
  type CliResult,
  describeResult,
  killRunningClis,
  runCli,
  runOutput,
  startCli,
  waitFor,
} from '../helpers/run-cli.ts';
import { createTempWorkspace, type TempWorkspace, toJsonl } from '../helpers/temp-workspace.ts';

/**
 * `provider: command` end to end (issue 5 §4): 200 heterogeneous tasks run by a real script through the real CLI, some
 * slow, some failing once, one failing for good, one hanging past its timeout; lines naming an unknown or interactive
 * target are rejected up front. The CLI is killed with SIGKILL mid-run and resumed: every task ends in exactly one
 * result file, and no more than `concurrency` tasks ran once more than they had to. A key passed as `--api-key` from a
 * task field is written nowhere but the state store.
 */

const TASK_SCRIPT = fileURLToPath(new URL('../fixtures/command/task.mjs', import.meta.url));
const TASKS = 200;
const CONCURRENCY = 8;
const MAX_ATTEMPTS = 3;
/** Far above a normal text task (at most 400 ms of sleep plus a node start on a busy machine). */
const TEXT_TIMEOUT_MS = 3000;
/** The hanging task's deadline: each of its attempts takes this plus the 1 s SIGTERM grace (it ignores SIGTERM). */
const VIDEO_TIMEOUT_MS = 1000;
/** The kill comes once this many tasks have started: mid-run, and before the hanging task starts. */
const KILL_AFTER_STARTED = 30;
/** The hanging task's index: after the kill, early enough in the resume to overlap the other tasks. */
const HANG_INDEX = 64;
const JOB = 'cmd';
/** Long enough to be registered as a known secret, and not shaped like a key `redactSecrets` masks by pattern. */
const KEY = 'tk-integration-secret-4242';
const HANG_ID = 'hang';
const FATAL_ID = 'task-50';

interface TaskLine {
  custom_id?: string;
  target: string;
  prompt?: string;
  size?: string;
  api_key?: string;
  spec?: { sleep_ms?: number; fail_times?: number; exit_code?: number; hang?: boolean; noise?: boolean };
}

/** Task `index` (0-based); ids are `task-<index>` except the hanging one. */
function buildTask(index: number): TaskLine {
  if (index === HANG_INDEX) return { custom_id: HANG_ID, target: 'video', prompt: 'hang', spec: { hang: true } };
  const id = `task-${String(index)}`;
  if (index === 50) return { custom_id: id, target: 'text', prompt: 'bad input', spec: { exit_code: 7 } };
  // A shell one-liner: cheap to start, so the test spends its time on the node tasks.
  if (index % 10 >= 7) return { custom_id: id, target: 'ping' };
  const spec = {
    sleep_ms: index % 5 === 0 ? 200 + (index % 3) * 100 : 10,
    fail_times: index % 12 === 0 ? 1 : 0,
    noise: index % 4 === 0,
  };
  if (index % 10 === 3) return { custom_id: id, target: 'image', prompt: `picture ${id}`, size: '64x64', api_key: KEY };
  return { custom_id: id, target: 'text', prompt: `text ${id}`, spec };
}

const TASK_LINES = Array.from({ length: TASKS }, (_, index) => buildTask(index));
const REJECTED_LINES = [
  { custom_id: 'typo', target: 'imgz', prompt: 'x' },
  { custom_id: 'needs-terminal', target: 'editor', file: 'notes.txt' },
];

function expectedRuns(task: TaskLine): number {
  if (task.custom_id === HANG_ID) return MAX_ATTEMPTS;
  return 1 + (task.spec?.fail_times ?? 0);
}

describe('provider: command', () => {
  let temp: TempWorkspace;
  let input: string;
  let stateDir: string;
  const outputs: CliResult[] = [];

  before(async () => {
    temp = await createTempWorkspace('batchpilot-command-');
    stateDir = temp.path('state');
    await mkdir(stateDir);
    const lines = TASK_LINES.map((task) => JSON.stringify(task));
    lines.splice(100, 0, JSON.stringify(REJECTED_LINES[0]));
    lines.splice(150, 0, JSON.stringify(REJECTED_LINES[1]));
    input = await temp.write('tasks.jsonl', toJsonl(lines));
    const node = process.execPath;
    // Commands get only what their target names (issue 10 section 2).
    const TASK_ENV = ['TASK_STATE_DIR', 'TASK_API_KEY'];
    const base = [node, TASK_SCRIPT, '--id', '{custom_id}', '--attempt', '{attempt}'];
    // JSON is YAML: the paths need no quoting rules of their own.
    const config = {
      provider: 'command',
      api_key_env: 'TASK_API_KEY',
      concurrency: CONCURRENCY,
      retry: { max_attempts: MAX_ATTEMPTS, base_delay_ms: 10, max_delay_ms: 100 },
      command: {
        targets: {
          text: {
            argv: [...base, '--prompt', '{prompt}', '--spec', '{spec}'],
            env: TASK_ENV,
            timeout_ms: TEXT_TIMEOUT_MS,
            non_retryable_exit_codes: [7],
          },
          video: {
            argv: [...base, '--prompt', '{prompt}', '--spec', '{spec}'],
            env: TASK_ENV,
            timeout_ms: VIDEO_TIMEOUT_MS,
          },
          image: {
            argv: [
              ...base,
              '--prompt',
              '{prompt}',
              '--size={size}',
              '--api-key',
              '{api_key}',
              '--output',
              '{output_path}',
            ],
            result: 'file',
            env: TASK_ENV,
            timeout_ms: 10_000,
          },
          ping: {
            argv: [
              '/bin/sh',
              '-c',
              'echo "attempt $2" >> "$TASK_STATE_DIR/$1.runs"',
              'ping',
              '{custom_id}',
              '{attempt}',
            ],
            result: 'exit_code',
            env: TASK_ENV,
            timeout_ms: 10_000,
          },
          editor: { argv: ['vim', '{file}'], interactive: true },
        },
      },
    };
    await temp.write('batchpilot.yaml', JSON.stringify(config, null, 2));
  });

  after(async () => {
    await killRunningClis();
    const pids = await readFile(join(stateDir, `${HANG_ID}.pids`), 'utf8').catch(() => '');
    for (const line of pids.split('\n')) if (line !== '') killGroup(Number(line.split(' ')[0]));
    await temp.remove();
  });

  const env = (): Record<string, string> => ({ TASK_STATE_DIR: stateDir, TASK_API_KEY: KEY });
  const global = (): string[] => ['--workspace', temp.workspace, '--json'];

  async function countStartedTasks(): Promise<number> {
    const names = await readdir(stateDir).catch(() => []);
    return names.filter((name) => name.endsWith('.runs')).length;
  }

  it('survives a kill -9 mid-run; resume finishes every task exactly once', async () => {
    const killed = startCli([...global(), 'run', input, '--job', JOB, '--no-progress'], { cwd: temp.dir, env: env() });
    let started = 0;
    const poll = setInterval(() => void countStartedTasks().then((count) => (started = count)), 20);
    try {
      await waitFor(() => started >= KILL_AFTER_STARTED, `${String(KILL_AFTER_STARTED)} tasks to start`, 30_000);
    } finally {
      clearInterval(poll);
    }
    killed.child.kill('SIGKILL');
    const first = await killed.done;
    outputs.push(first);
    assert.equal(first.signal, 'SIGKILL', describeResult(first));
    assert.ok((await countStartedTasks()) < TASKS, 'the kill came mid-run');

    const resumed = await runCli([...global(), 'resume', JOB, '--no-progress'], { cwd: temp.dir, env: env() });
    outputs.push(resumed);
    assert.equal(resumed.code, 3, describeResult(resumed));
    assert.equal(runOutput(resumed)?.report.state, 'completed', describeResult(resumed));

    const jobDir = temp.jobDir(JOB);
    const outputLines = await readJsonl<OutputLine>(join(jobDir, 'output.jsonl'));
    const errorLines = await readJsonl<ErrorLine>(join(jobDir, 'errors.jsonl'));
    assert.deepEqual(await readJsonl(join(jobDir, 'missing_records.jsonl')), []);

    const succeeded = outputLines.map((line) => line.custom_id);
    assert.equal(new Set(succeeded).size, succeeded.length, 'a task is in output.jsonl twice');
    const expected = TASK_LINES.map((task) => task.custom_id!).filter((id) => id !== HANG_ID && id !== FATAL_ID);
    assert.deepEqual(succeeded, expected, 'output.jsonl holds every other task once, in input order');

    const byId = new Map(TASK_LINES.map((task) => [task.custom_id!, task]));
    for (const line of outputLines) {
      const task = byId.get(line.custom_id)!;
      const body = line.response.body;
      assert.equal(line.response.status_code, 200);
      assert.equal(body.target, task.target);
      assert.equal(body.exit_code, 0);
      assert.equal(body.log_path, join(jobDir, 'tasks', `${taskFileStem(line.custom_id)}.log`));
      if (task.target === 'ping') {
        assert.deepEqual(body.result, {});
        continue;
      }
      const result = body.result as { id: string; echo: string; key_ok: boolean | null };
      assert.equal(result.id, line.custom_id);
      assert.equal(result.echo, task.prompt);
      if (task.target === 'image') {
        assert.equal(result.key_ok, true, 'the key reached the command');
        assert.deepEqual(JSON.parse(await readFile(body.output_path!, 'utf8')), result);
      }
    }

    const errors = new Map(errorLines.map((line) => [line.custom_id, line]));
    assert.deepEqual([...errors.keys()].sort(), [HANG_ID, FATAL_ID].sort());
    assert.equal(errors.get(FATAL_ID)?.attempts, 1);
    assert.equal(errors.get(FATAL_ID)?.error.code, 'http_422');
    assert.equal(errors.get(FATAL_ID)?.error.reason, 'errorNotRetryable');
    const hang = errors.get(HANG_ID)!;
    assert.equal(hang.attempts, MAX_ATTEMPTS);
    assert.equal(hang.error.code, 'timeout');
    assert.equal(hang.error.reason, 'maxRetriesExceeded');
    assert.match(hang.error.message, /ran past its timeout of 1000 ms \(command.targets.video.timeout_ms\)/);

    const hangRuns = (await readFile(join(stateDir, `${HANG_ID}.pids`), 'utf8')).trim().split('\n');
    assert.equal(hangRuns.length, MAX_ATTEMPTS);
    for (const run of hangRuns) {
      const [leader, helper] = run.split(' ').map(Number);
      assert.deepEqual(livingGroupMembers(leader!), [], `process group ${String(leader)} (helper ${String(helper)})`);
    }

    const rejects = await readJsonl<{ line: number; custom_id: string; reason: string }>(join(jobDir, 'rejects.jsonl'));
    assert.deepEqual(
      rejects.map(({ line, custom_id, reason }) => ({ line, custom_id, reason })),
      [
        {
          line: 101,
          custom_id: 'typo',
          reason: 'unknown target "imgz"; targets: text, video, image, ping (command.targets)',
        },
        {
          line: 151,
          custom_id: 'needs-terminal',
          reason:
            'target "editor" is interactive (it needs a terminal) and cannot run in a batch; targets: text, video, image, ping (command.targets)',
        },
      ],
    );

    const report = JSON.parse(await readFile(join(jobDir, 'report.json'), 'utf8')) as {
      counts: Record<string, number>;
    };
    assert.equal(report.counts['succeeded'], TASKS - 2);
    assert.equal(report.counts['failed'], 2);
    assert.equal(report.counts['rejected'], 2);
    assert.equal(report.counts['missing'], 0);

    // Exactly-once at the level of runs: only the tasks in flight at the kill may have run once more than needed.
    let extraRuns = 0;
    for (const task of TASK_LINES) {
      const id = task.custom_id!;
      const runs = (await readFile(join(stateDir, `${id}.runs`), 'utf8')).trim().split('\n').length;
      assert.ok(runs >= expectedRuns(task), `${id} ran ${String(runs)} times`);
      extraRuns += runs - expectedRuns(task);
      assert.ok(existsSync(join(jobDir, 'tasks', `${taskFileStem(id)}.log`)), `${id} has its log`);
    }
    assert.ok(
      extraRuns <= CONCURRENCY,
      `${String(extraRuns)} runs beyond the needed ones, over ${String(CONCURRENCY)}`,
    );
  });

  it('writes the key passed as --api-key nowhere but shows *** in the task log', async () => {
    const status = await runCli([...global(), 'status', JOB], { cwd: temp.dir, env: env() });
    outputs.push(status);
    assert.equal(status.code, 0, describeResult(status));
    assert.equal((JSON.parse(status.stdout) as { state: string }).state, 'completed');

    const jobDir = temp.jobDir(JOB);
    const imageLog = await readFile(join(jobDir, 'tasks', `${taskFileStem('task-3')}.log`), 'utf8');
    assert.match(imageLog, / --size=64x64 --api-key \*\*\* --output /);

    const checked = ['output.jsonl', 'errors.jsonl', 'rejects.jsonl', 'report.json', 'job.log'].map((name) =>
      join(jobDir, name),
    );
    for (const name of await readdir(join(jobDir, 'tasks'))) checked.push(join(jobDir, 'tasks', name));
    for (const file of checked) assert.ok(!(await readFile(file, 'utf8')).includes(KEY), `${file} holds the key`);
    for (const result of outputs) {
      assert.ok(!result.stdout.includes(KEY) && !result.stderr.includes(KEY), describeResult(result));
    }
  });
});

interface OutputLine {
  custom_id: string;
  response: {
    status_code: number;
    body: {
      target: string;
      exit_code: number;
      duration_ms: number;
      output_path: string | null;
      log_path: string;
      result: unknown;
    };
  };
}

interface ErrorLine {
  custom_id: string;
  attempts: number;
  error: { code: string; message: string; reason?: string };
}

async function readJsonl<T = unknown>(path: string): Promise<T[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);
}
