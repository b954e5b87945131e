import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { describeResult, runCli, runOutput, startCli, waitFor } from '../helpers/run-cli.ts';
import { chatBatchLines, toJsonl } from '../helpers/temp-workspace.ts';
import { useCliWorkspace } from '../helpers/use-cli-workspace.ts';
import { runArgs } from '../helpers/run-args.ts';

/**
 * Inputs that cannot be read twice: standard input (`-`), a named pipe and a `.gz` file are copied into the job's
 * folder (mode 0600), which is what resume reads; a named pipe with no writer yet still answers Ctrl-C at once, and
 * leaves no job behind.
 */

const ITEMS = 40;

describe('stream and gzip inputs', () => {
  const ws = useCliWorkspace({ prefix: 'batchpilot-stream-input-', simulator: { latencyMs: 20, seed: 3 } });
  const text = toJsonl(chatBatchLines(ITEMS, { prefix: 'st' }));

  const env = { OPENAI_API_KEY: 'sk-test' };
  function args(input: string, job: string, extra: string[] = []): string[] {
    return runArgs(ws.temp, input, { job, baseUrl: ws.sim.baseUrl }, ['--no-progress', ...extra]);
  }

  function assertCompleted(result: Awaited<ReturnType<typeof runCli>>): void {
    assert.equal(result.code, 0, describeResult(result));
    assert.equal(runOutput(result)?.report.counts['succeeded'], ITEMS, describeResult(result));
  }

  it('runs standard input (-) from its own private copy', async () => {
    assertCompleted(await runCli(args('-', 'stdin'), { cwd: ws.temp.dir, env, stdin: text }));
    const copy = await stat(join(ws.temp.jobDir('stdin'), 'input.jsonl'));
    assert.equal(copy.mode & 0o777, 0o600);
    assert.equal(copy.size, Buffer.byteLength(text));
  });

  it('answers Ctrl-C on a named pipe nobody writes to, leaving no job; runs it once written', async () => {
    const fifo = join(ws.temp.dir, 'input.fifo');
    execFileSync('mkfifo', [fifo]);
    const waiting = startCli(args(fifo, 'fifo-stopped'), { cwd: ws.temp.dir, env, timeoutMs: 20_000 });
    // The job's folder is made once the copy (and its signal handling) has started.
    await waitFor(() => existsSync(ws.temp.jobDir('fifo-stopped')), 'the copy of the input to start');
    waiting.child.kill('SIGINT');
    const stopped = await waiting.done;
    assert.equal(stopped.code, 130, describeResult(stopped));
    const jobs = await readdir(join(ws.temp.workspace, 'jobs')).catch((): string[] => []);
    assert.ok(!jobs.includes('fifo-stopped'), `no job folder left: ${jobs.join(', ')}`);

    const reading = startCli(args(fifo, 'fifo'), { cwd: ws.temp.dir, env });
    await writeFile(fifo, text);
    assertCompleted(await reading.done);
  });

  it('runs a .gz input, and resume after a kill -9 reads the job its copy', async () => {
    const gz = join(ws.temp.dir, 'input.jsonl.gz');
    await writeFile(gz, gzipSync(text));
    ws.sim.resetStats();
    const killed = startCli(args(gz, 'gz', ['--set', 'concurrency=2']), { cwd: ws.temp.dir, env });
    await waitFor(() => ws.sim.stats().generationRequests >= 10, 'the run to be under way');
    killed.child.kill('SIGKILL');
    await killed.done;
    assertCompleted(
      await runCli(['--workspace', ws.temp.workspace, '--json', 'resume', 'gz', '--no-progress'], {
        cwd: ws.temp.dir,
        env,
      }),
    );
  });
});
