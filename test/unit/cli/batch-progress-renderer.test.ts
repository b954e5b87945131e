import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createBatchProgressRenderer } from '../../../src/cli/render/batch-progress.ts';
import type { BatchProgress } from '../../../src/engine/batch/run-batch-job.ts';

function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; written: string[] } {
  const written: string[] = [];
  const stream = {
    isTTY,
    columns: 200,
    write(text: string) {
      written.push(text);
      return true;
    },
  } as unknown as NodeJS.WriteStream;
  return { stream, written };
}

const progress: BatchProgress = {
  jobId: 'job-1',
  counts: { total: 10, pending: 10, retryWait: 0, succeeded: 0, failed: 0, cancelled: 0 },
  chunks: [],
  cancelling: false,
  network: null,
  tokenPauseUntil: null,
  elapsedMs: 1000,
};

describe('batch progress renderer', () => {
  it('on a terminal, a note gets a line of its own and the progress line is drawn again under it', () => {
    const { stream, written } = fakeStream(true);
    const renderer = createBatchProgressRenderer(stream, 0);
    renderer.update(progress);
    const line = written.at(-1)?.replace('\r\u001b[2K', '') ?? '';
    assert.ok(line.length > 0);
    renderer.note('batchpilot: warning: something');
    assert.equal(written.at(-1), `\r\u001b[2Kbatchpilot: warning: something\n${line}`);
    renderer.stop();
  });

  it('elsewhere, a note is a plain line', () => {
    const { stream, written } = fakeStream(false);
    const renderer = createBatchProgressRenderer(stream, 0);
    renderer.update(progress);
    renderer.note('batchpilot: warning: something');
    assert.equal(written.at(-1), 'batchpilot: warning: something\n');
    renderer.stop();
  });
});
