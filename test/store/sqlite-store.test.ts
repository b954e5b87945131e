import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { ItemRecord } from '../../src/core/item.ts';
import { BatchpilotError } from '../../src/errors/index.ts';
import { createStore } from '../../src/store/create-store.ts';
import type { NewItem, Store } from '../../src/store/store.ts';

async function freshStore(isProcessAlive?: (pid: number) => boolean): Promise<Store> {
  const workspace = await mkdtemp(join(tmpdir(), 'bp-store-'));
  return isProcessAlive === undefined ? createStore({ workspace }) : createStore({ workspace, isProcessAlive });
}

async function newJob(store: Store, id = 'job-1'): Promise<void> {
  await store.createJob({
    id,
    inputPath: '/tmp/in.jsonl',
    inputFingerprint: { size: 10, sample: 'abc' },
    config: { concurrency: 4 },
    outDir: '/tmp/out',
    now: 1,
  });
}

function items(from: number, count: number, customId = (seq: number) => `c${String(seq)}`): NewItem[] {
  return Array.from({ length: count }, (_, index) => {
    const seq = from + index;
    return {
      seq,
      customId: customId(seq),
      lineNo: seq + 1,
      byteOffset: seq * 10,
      byteLength: 9,
      raw: `{"n":${String(seq)}}`,
    };
  });
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const value of iterable) all.push(value);
  return all;
}

describe('SqliteStore', () => {
  it('ingests items, rejects duplicates in the same transaction, applies the limit', async () => {
    const store = await freshStore();
    await newJob(store);
    const batch = [...items(0, 3), { ...items(3, 1)[0]!, customId: 'c1' }, ...items(4, 3)];
    const result = await store.ingest('job-1', {
      items: batch,
      rejects: [{ line: 99, reason: 'invalid JSON', raw: '{' }],
      limit: 5,
      position: { byte: 100, line: 99, seq: 7, done: false },
    });
    assert.deepEqual(
      result.pending.map((item) => item.customId),
      ['c0', 'c1', 'c2', 'c4', 'c5'],
    );
    assert.equal(result.cursor.accepted, 5);
    assert.equal(result.cursor.leftOut, 1);
    assert.equal(result.cursor.rejected, 2);
    const rejects = await collect(store.iterateRejects('job-1'));
    assert.equal(rejects.length, 2);
    assert.equal(rejects.find((reject) => reject.custom_id === 'c1')?.line, 4);
    const counts = await store.counts('job-1');
    assert.equal(counts.pending, 5);
    assert.equal(counts.cancelled, 1);
    assert.equal((await store.getJob('job-1'))?.cursor.byte, 100);
    await store.close();
  });

  it('commits outcomes and lists items with results in input and completion order', async () => {
    const store = await freshStore();
    await newJob(store);
    await store.ingest('job-1', {
      items: items(0, 4),
      rejects: [],
      limit: 0,
      position: { byte: 40, line: 4, seq: 4, done: true },
    });
    await store.commitProgress([
      {
        jobId: 'job-1',
        attempts: [
          {
            seq: 2,
            attempt: 1,
            startedAt: 1,
            latencyMs: 5,
            statusCode: 200,
            outcome: 'ok',
            inputTokens: 3,
            outputTokens: 4,
          },
          {
            seq: 0,
            attempt: 1,
            startedAt: 1,
            latencyMs: 9,
            statusCode: 500,
            outcome: 'http_500',
            inputTokens: null,
            outputTokens: null,
          },
          {
            seq: 1,
            attempt: 1,
            startedAt: 1,
            latencyMs: 7,
            statusCode: 400,
            outcome: 'http_400',
            inputTokens: null,
            outputTokens: null,
          },
        ],
        updates: [
          {
            seq: 2,
            state: 'succeeded',
            attempts: 1,
            statusCode: 200,
            requestId: 'r2',
            body: '{"a":1}',
            completedAt: 10,
          },
          { seq: 0, state: 'retry_wait', attempts: 1, error: { code: 'http_500', message: 'x' } },
          {
            seq: 1,
            state: 'failed',
            attempts: 1,
            error: { code: 'http_400', message: 'bad', status: 400 },
            completedAt: 5,
          },
        ],
      },
    ]);
    const unfinished = await collect(store.iterateUnfinished('job-1'));
    assert.deepEqual(
      unfinished.map((item) => [item.seq, item.attempts]),
      [
        [0, 1],
        [3, 0],
      ],
    );
    const inOrder: ItemRecord[] = await collect(store.iterateItems('job-1', 'input'));
    assert.deepEqual(
      inOrder.map((item) => item.state),
      ['retry_wait', 'failed', 'succeeded', 'pending'],
    );
    assert.equal(inOrder[2]?.responseBody, '{"a":1}');
    const byCompletion = await collect(store.iterateItems('job-1', 'completion'));
    assert.deepEqual(
      byCompletion.map((item) => item.seq),
      [1, 2, 0, 3],
    );
    const stats = await store.attemptStats('job-1');
    assert.equal(stats.attempts, 3);
    assert.deepEqual(stats.failuresByCause, { http_500: 1, http_400: 1 });
    assert.equal(stats.inputTokens, 3);
    assert.equal(stats.latencyP50Ms, 5);
    assert.equal(await store.reopenItems('job-1', 'failed'), 1);
    assert.equal(await store.cancelUnfinished('job-1', 'interrupted'), 3);
    assert.equal(await store.reopenItems('job-1', 'cancelled'), 3);
    await store.close();
  });

  it('pages through more items than one page', async () => {
    const store = await freshStore();
    await newJob(store);
    await store.ingest('job-1', {
      items: items(0, 4500),
      rejects: [],
      limit: 0,
      position: { byte: 1, line: 1, seq: 4500, done: true },
    });
    assert.equal((await collect(store.iterateItems('job-1', 'input'))).length, 4500);
    assert.equal((await collect(store.iterateUnfinished('job-1'))).length, 4500);
    await store.close();
  });

  it('refuses a second live lease holder and takes over a dead one', async () => {
    let alive = true;
    const store = await freshStore(() => alive);
    await newJob(store);
    await store.acquireLease(
      'job-1',
      { pid: 999_999, host: (await import('node:os')).hostname(), token: 'a', heartbeatAt: 1000 },
      15_000,
    );
    await assert.rejects(
      store.acquireLease('job-1', { pid: process.pid, host: 'x', token: 'b', heartbeatAt: 2000 }, 15_000),
      (error: unknown) => error instanceof BatchpilotError && error.code === 'JOB_LOCKED',
    );
    alive = false;
    await store.acquireLease('job-1', { pid: process.pid, host: 'x', token: 'b', heartbeatAt: 2000 }, 15_000);
    assert.equal((await store.getJob('job-1'))?.lease?.token, 'b');
    await store.releaseLease('job-1', 'b');
    assert.equal((await store.getJob('job-1'))?.lease, null);
    await store.close();
  });

  it('checks job state transitions and unknown jobs', async () => {
    const store = await freshStore();
    await newJob(store);
    await store.setJobState('job-1', 'running');
    await assert.rejects(store.setJobState('job-1', 'created'), /illegal job transition/);
    await assert.rejects(
      store.setJobState('nope', 'running'),
      (error: unknown) => error instanceof BatchpilotError && error.code === 'JOB_NOT_FOUND',
    );
    await store.close();
  });
});
