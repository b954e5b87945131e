import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  BatchpilotError,
  ConfigError,
  planJob,
  resumeJob,
  runJob,
  startSimulator,
  type RunProgress,
  type SimulatorHandle,
} from '../../src/index.ts';
import { checkResultFiles } from '../helpers/check-result-files.ts';
import { chatBatchLines, createTempWorkspace, toJsonl, type TempWorkspace } from '../helpers/temp-workspace.ts';

/**
 * Issue 11 section 1: the library runs a job in this process against the simulator, as `batchpilot run` does, with
 * nothing printed and no signal handler installed; lines given in code are copied into the job so it can be resumed;
 * the signal stops it as Ctrl-C does; a config object is validated as a file is.
 */

let ws: TempWorkspace;
let sim: SimulatorHandle;

before(async () => {
  ws = await createTempWorkspace('batchpilot-library-');
  sim = await startSimulator({ latencyMs: 2 });
});

after(async () => {
  await sim.close();
  await ws.remove();
});

/** Everything written to stdout and stderr while `run` runs. */
async function captureOutput<T>(run: () => Promise<T>): Promise<{ value: T; written: string }> {
  const written: string[] = [];
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((stream) => stream.write.bind(stream));
  for (const stream of streams) {
    stream.write = (chunk: string | Uint8Array): boolean => {
      written.push(String(chunk));
      return true;
    };
  }
  try {
    return { value: await run(), written: written.join('') };
  } finally {
    streams.forEach((stream, index) => (stream.write = originals[index] as typeof stream.write));
  }
}

describe('runJob', () => {
  it('runs a JSONL file to the end: result counts and files, nothing printed, no signal handler', async () => {
    const input = await ws.write('in.jsonl', toJsonl(chatBatchLines(20)));
    const handlers = (): number[] => [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
    const before = handlers();
    const seen: number[][] = [];
    const progress: RunProgress[] = [];
    const { value: result, written } = await captureOutput(() =>
      runJob({
        input,
        workspace: ws.workspace,
        jobId: 'lib-file',
        config: { base_url: `${sim.url}/v1`, model: 'gpt-4o-mini', concurrency: 4 },
        onProgress: (figures) => {
          progress.push(figures);
          seen.push(handlers());
        },
      }),
    );
    assert.equal(written, '');
    for (const during of seen) assert.deepEqual(during, before);
    assert.equal(result.jobId, 'lib-file');
    assert.equal(result.outcome, 'completed');
    assert.deepEqual(
      { ...result.counts },
      { total: 20, succeeded: 20, failed: 0, missing: 0, rejected: 0, left_out_by_limit: 0 },
    );
    assert.equal(result.files.output, join(ws.jobDir('lib-file'), 'output.jsonl'));
    assert.equal((await readFile(result.files.output, 'utf8')).trim().split('\n').length, 20);
    assert.equal((JSON.parse(await readFile(result.files.report, 'utf8')) as { job_id: string }).job_id, 'lib-file');
    assert.equal(typeof result.costUsd, 'number');
    await checkResultFiles({ inputPath: input, jobDir: ws.jobDir('lib-file') });
    const last = progress.at(-1);
    assert.ok(last !== undefined, 'onProgress was called');
    assert.equal(last.mode, 'realtime');
    assert.equal(last.succeeded, 20);
  });

  it('copies lines given in code into the job; the signal interrupts it and resumeJob ends it, each item sent once', async () => {
    // One request at a time, each taking 100 ms: the first progress report (every 250 ms) comes long before the end.
    const slow = await startSimulator({ latencyMs: 100 });
    try {
      const lines = chatBatchLines(40, { prefix: 'lines' });
      async function* requests(): AsyncIterable<string | object> {
        for (const [index, line] of lines.entries()) {
          // As a stream would hand them over: one line per turn of the event loop.
          await Promise.resolve();
          yield index % 2 === 0 ? line : (JSON.parse(line) as object);
        }
      }
      const stop = new AbortController();
      const first = await runJob({
        input: requests(),
        workspace: ws.workspace,
        jobId: 'lib-lines',
        config: { base_url: `${slow.url}/v1`, concurrency: 1 },
        signal: stop.signal,
        onProgress: (figures) => {
          if (figures.succeeded > 0) stop.abort();
        },
      });
      assert.equal(first.outcome, 'interrupted');
      assert.ok(first.counts.succeeded > 0 && first.counts.succeeded < 40, JSON.stringify(first.counts));
      const copy = join(ws.jobDir('lib-lines'), 'input.jsonl');
      assert.equal(await readFile(copy, 'utf8'), toJsonl(lines));

      const second = await resumeJob({ workspace: ws.workspace, jobId: 'lib-lines' });
      assert.equal(second.outcome, 'completed');
      assert.equal(second.counts.succeeded, 40);
      await checkResultFiles({ inputPath: copy, jobDir: ws.jobDir('lib-lines') });
      assert.equal(slow.stats().duplicates, 0);

      // The same id and input again: the job is carried on (nothing left to send), not created twice.
      const sent = slow.stats().generationRequests;
      const third = await runJob({
        input: requests(),
        workspace: ws.workspace,
        jobId: 'lib-lines',
        config: { base_url: `${slow.url}/v1` },
      });
      assert.equal(third.outcome, 'completed');
      assert.equal(slow.stats().generationRequests, sent);
    } finally {
      await slow.close();
    }
  });

  it('validates a config object as a file: CONFIG_INVALID naming the key, and no job created', async () => {
    const input = await ws.write('bad-config.jsonl', toJsonl(chatBatchLines(2)));
    await assert.rejects(
      runJob({
        input,
        workspace: ws.workspace,
        jobId: 'lib-typo',
        config: { base_url: `${sim.url}/v1`, concurrency: 0 },
      }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.code, 'CONFIG_INVALID');
        assert.equal(error.context.key, 'concurrency');
        return true;
      },
    );
    await assert.rejects(
      // @ts-expect-error an unknown key is refused by the type too
      runJob({ input, workspace: ws.workspace, config: { base_url: `${sim.url}/v1`, concurency: 4 } }),
      (error: unknown) =>
        error instanceof BatchpilotError && error.code === 'CONFIG_INVALID' && error.context.key === 'concurency',
    );
    await assert.rejects(resumeJob({ workspace: ws.workspace, jobId: 'lib-typo' }), { code: 'JOB_NOT_FOUND' });
  });
});

describe('planJob', () => {
  it('counts items and rejects of a file without sending anything', async () => {
    const input = await ws.write('plan.jsonl', `${toJsonl(chatBatchLines(5))}not json\n`);
    const sent = sim.stats().requests;
    const { plan, caps } = await planJob({ input, config: { base_url: `${sim.url}/v1` } });
    assert.equal(plan.items, 5);
    assert.equal(plan.rejected, 1);
    assert.deepEqual(caps, []);
    assert.equal(sim.stats().requests, sent);
  });
});
