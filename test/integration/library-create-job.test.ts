import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createJob, resumeJob, startSimulator, type SimulatorHandle } from '../../src/index.ts';
import { chatBatchLines, createTempWorkspace, toJsonl, type TempWorkspace } from '../helpers/temp-workspace.ts';

/**
 * Issue 11 section 1: `createJob` creates a job without sending anything, `resumeJob` runs it; a signal aborted
 * while lines given in code are copied creates nothing (`INTERRUPTED`), as Ctrl-C during `run -` does.
 */

let ws: TempWorkspace;
let sim: SimulatorHandle;

before(async () => {
  ws = await createTempWorkspace('batchpilot-library-create-');
  sim = await startSimulator({ latencyMs: 2 });
});

after(async () => {
  await sim.close();
  await ws.remove();
});

describe('createJob', () => {
  it('creates a job that sends nothing until resumeJob runs it, results in outDir', async () => {
    const input = await ws.write('in.jsonl', toJsonl(chatBatchLines(6)));
    const outDir = ws.path('results');
    const created = await createJob({
      input,
      workspace: ws.workspace,
      config: { base_url: `${sim.url}/v1` },
      outDir,
    });
    assert.match(created.jobId, /^job-/);
    assert.equal(created.inputPath, input);
    assert.equal(created.outDir, outDir);
    assert.equal(sim.stats().generationRequests, 0);

    const result = await resumeJob({ workspace: ws.workspace, jobId: created.jobId });
    assert.equal(result.outcome, 'completed');
    assert.equal(result.counts.succeeded, 6);
    assert.equal(result.files.output, join(outDir, 'output.jsonl'));
    await access(result.files.output);
  });

  it('creates nothing when the signal stops the copy of lines given in code (INTERRUPTED)', async () => {
    const stop = new AbortController();
    async function* lines(): AsyncIterable<string> {
      yield chatBatchLines(1)[0] ?? '';
      stop.abort();
      // The copy is stopped here: a stream that never ends would otherwise hold it forever.
      await new Promise(() => undefined);
    }
    await assert.rejects(
      createJob({
        input: lines(),
        workspace: ws.workspace,
        jobId: 'never-made',
        config: { base_url: `${sim.url}/v1` },
        signal: stop.signal,
      }),
      { code: 'INTERRUPTED' },
    );
    await assert.rejects(resumeJob({ workspace: ws.workspace, jobId: 'never-made' }), { code: 'JOB_NOT_FOUND' });
    await assert.rejects(access(ws.jobDir('never-made')));
  });
});
