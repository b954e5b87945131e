import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Chunk, ChunkState, SubmittedChunk } from '../../../../src/core/chunk.ts';
import { advanceChunk, type ChunkHandlers, type ChunkStep } from '../../../../src/engine/batch/advance-chunk.ts';

/**
 * The chunk state machine's one entry: one handler per committed state, taken in a row while each commits a new
 * state; the cancel rule applied before any of them; a submitted chunk handed on with its batch id.
 */

function chunkIn(state: ChunkState, patch: Partial<Chunk> = {}): Chunk {
  return {
    jobId: 'j',
    chunkNo: 1,
    state,
    itemCount: 2,
    bytes: 10,
    tokens: 0,
    url: '/v1/chat/completions',
    model: null,
    fileId: state === 'planned' ? null : 'file-1',
    batchId: state === 'submitted' || state === 'ended' ? 'batch-1' : null,
    rawStatus: null,
    counts: null,
    end: null,
    errors: [],
    resultRefs: null,
    createdAt: 0,
    submitStartedAt: state === 'planned' || state === 'uploaded' ? null : 1,
    submittedAt: null,
    endedAt: null,
    mergedAt: null,
    ...patch,
  };
}

/** Handlers that move each chunk one state on (a submitted one waits), recording what was called with what. */
function recorder(cancelling = false): ChunkHandlers & { calls: string[] } {
  const calls: string[] = [];
  const moveTo = (chunk: Chunk, state: ChunkState): ChunkStep => ({
    kind: 'moved',
    chunk: chunkIn(state, { chunkNo: chunk.chunkNo }),
  });
  return {
    calls,
    cancelling,
    closeUnsent: (chunk) => {
      calls.push(`closeUnsent:${chunk.state}`);
      return Promise.resolve({ kind: 'closed' });
    },
    requestCancel: (chunk: SubmittedChunk) => {
      calls.push(`requestCancel:${chunk.batchId}`);
      return Promise.resolve();
    },
    prepare: (chunk) => {
      calls.push('prepare');
      return Promise.resolve(moveTo(chunk, 'uploaded'));
    },
    submit: (chunk) => {
      calls.push('submit');
      return Promise.resolve(moveTo(chunk, 'submitted'));
    },
    poll: (chunk) => {
      calls.push(`poll:${chunk.batchId}`);
      return Promise.resolve({ kind: 'waiting', chunk });
    },
    merge: (chunk) => {
      calls.push(`merge:${chunk.batchId}`);
      return Promise.resolve({ kind: 'closed' });
    },
  };
}

describe('advanceChunk', () => {
  it('takes a planned chunk through prepare and submit to its first poll, in one call', async () => {
    const handlers = recorder();
    const advanced = await advanceChunk(chunkIn('planned'), handlers);
    assert.deepEqual(handlers.calls, ['prepare', 'submit', 'poll:batch-1']);
    assert.equal(advanced.worked, true);
    assert.equal(advanced.chunk?.state, 'submitted');
  });

  it('merges an ended chunk and reports it closed', async () => {
    const handlers = recorder();
    const advanced = await advanceChunk(chunkIn('ended'), handlers);
    assert.deepEqual(handlers.calls, ['merge:batch-1']);
    assert.deepEqual(advanced, { chunk: null, worked: true });
  });

  it('cancelling: closes a chunk whose create never started, planned or uploaded, without sending it', async () => {
    for (const state of ['planned', 'uploaded'] as const) {
      const handlers = recorder(true);
      assert.deepEqual(await advanceChunk(chunkIn(state), handlers), { chunk: null, worked: true });
      assert.deepEqual(handlers.calls, [`closeUnsent:${state}`]);
    }
  });

  it('cancelling: a chunk whose create started is submitted (or adopted), then asked to cancel remotely', async () => {
    const handlers = recorder(true);
    await advanceChunk(chunkIn('uploaded', { submitStartedAt: 5 }), handlers);
    assert.deepEqual(handlers.calls, ['submit', 'requestCancel:batch-1', 'poll:batch-1']);
  });

  it('refuses a submitted chunk without a batch id (the store commits both together)', async () => {
    await assert.rejects(advanceChunk(chunkIn('submitted', { batchId: null }), recorder()), Error);
  });

  it('a merged chunk is closed with nothing done', async () => {
    const handlers = recorder();
    assert.equal((await advanceChunk(chunkIn('merged'), handlers)).chunk, null);
    assert.deepEqual(handlers.calls, []);
  });
});
