import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Attempt } from '../../../src/core/attempt.ts';
import { CommitQueue, type CommitWaiter } from '../../../src/engine/commit-queue.ts';
import { createStore } from '../../../src/store/create-store.ts';
import type { ItemUpdate, JobProgressBatch, Store } from '../../../src/store/store.ts';

async function storeWithJobs(jobIds: string[]): Promise<Store> {
  const store = createStore({ workspace: await mkdtemp(join(tmpdir(), 'bp-commit-')) });
  for (const id of jobIds) {
    await store.createJob({
      id,
      inputPath: '/tmp/in.jsonl',
      inputFingerprint: { size: 10, sample: 'abc' },
      config: {},
      outDir: '/tmp/out',
      now: 1,
    });
    await store.ingest(id, {
      items: [0, 1, 2].map((seq) => ({
        seq,
        customId: `c${String(seq)}`,
        lineNo: seq + 1,
        byteOffset: seq * 10,
        byteLength: 9,
        raw: '{}',
      })),
      rejects: [],
      limit: 0,
      position: { byte: 30, line: 3, seq: 3, done: true },
    });
  }
  return store;
}

function attempt(seq: number): Attempt {
  return {
    seq,
    attempt: 1,
    startedAt: 1,
    latencyMs: 5,
    statusCode: 200,
    outcome: 'ok',
    inputTokens: 1,
    outputTokens: 1,
  };
}

function success(seq: number): ItemUpdate {
  return { seq, state: 'succeeded', attempts: 1, statusCode: 200, requestId: null, body: '{}', completedAt: 2 };
}

/** Records what it is told, and resolves once it was told `expected` slots. */
function waiter(expected: number): CommitWaiter & { calls: [number, Error | undefined][]; done: Promise<void> } {
  let resolve = (): void => undefined;
  const done = new Promise<void>((settle) => (resolve = settle));
  const calls: [number, Error | undefined][] = [];
  let told = 0;
  return {
    calls,
    done,
    onCommitted(slots, error) {
      calls.push([slots, error]);
      told += slots;
      if (told >= expected) resolve();
    },
  };
}

describe('CommitQueue', () => {
  it('commits what several jobs finish in one turn in one transaction and tells each its slots', async () => {
    const store = await storeWithJobs(['job-a', 'job-b']);
    const transactions: JobProgressBatch[][] = [];
    const commit = store.commitProgress.bind(store);
    store.commitProgress = async (batches) => {
      transactions.push([...batches]);
      return commit(batches);
    };
    const queue = new CommitQueue(store);
    const a = waiter(3);
    const b = waiter(1);
    queue.add(a, 'job-a', attempt(0), success(0));
    queue.add(b, 'job-b', attempt(2), success(2));
    queue.add(a, 'job-a', attempt(1), success(1));
    // An abandoned request gives its slot back with the rest, writing nothing.
    queue.add(a, 'job-a', null, null);
    await Promise.all([a.done, b.done]);
    assert.equal(transactions.length, 1);
    assert.deepEqual(
      transactions[0]?.map((batch) => [batch.jobId, batch.updates.map((update) => update.seq)]),
      [
        ['job-a', [0, 1]],
        ['job-b', [2]],
      ],
    );
    assert.deepEqual(a.calls, [[3, undefined]]);
    assert.deepEqual(b.calls, [[1, undefined]]);
    assert.equal((await store.counts('job-a')).succeeded, 2);
    assert.equal((await store.counts('job-b')).succeeded, 1);
    await store.close();
  });

  it('tells every job in a failed commit, so none counts unrecorded work as done', async () => {
    const store = await storeWithJobs(['job-a', 'job-b']);
    const queue = new CommitQueue(store);
    await store.close();
    const a = waiter(1);
    const b = waiter(1);
    queue.add(a, 'job-a', attempt(0), success(0));
    queue.add(b, 'job-b', attempt(0), success(0));
    await Promise.all([a.done, b.done]);
    assert.ok(a.calls[0]?.[1] instanceof Error);
    assert.equal(a.calls[0]?.[1], b.calls[0]?.[1]);
  });
});
