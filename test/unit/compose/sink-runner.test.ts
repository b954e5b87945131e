import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SinkRunner, type SinkFeedSettings, type WalkedRow } from '../../../src/compose/sink-runner.ts';
import { SinkError } from '../../../src/errors/index.ts';
import type { Sink, SinkBatch } from '../../../src/sinks/sink.ts';
import { createStore } from '../../../src/store/create-store.ts';
import type { Store } from '../../../src/store/store.ts';
import { systemClock } from '../../../src/util/clock.ts';
import { createTestJob, JOB } from '../../store-conformance/store-fixtures.ts';

/**
 * The sink runner batches the rows each sink wants, records each batch before writing it and marks it after, and
 * on a later walk skips what a sink has: every wanted row once in the sink, whatever stops the walk.
 */

/** A sink that keeps what it is sent (by key, as an upsert would) and every write, and can be made to fail. */
class MemorySink implements Sink {
  readonly writes: SinkBatch[] = [];
  readonly table = new Map<string, Readonly<Record<string, unknown>>>();
  unavailableFor = 0;
  failWith: Error | undefined;
  opened = 0;
  closed = 0;

  readonly name: string;

  constructor(name: string) {
    this.name = name;
  }

  open(): Promise<void> {
    this.opened += 1;
    return Promise.resolve();
  }

  write(batch: SinkBatch): Promise<void> {
    if (this.failWith !== undefined) return Promise.reject(this.failWith);
    if (this.unavailableFor > 0) {
      this.unavailableFor -= 1;
      return Promise.reject(new SinkError('SINK_UNAVAILABLE', 'down for now'));
    }
    this.writes.push(batch);
    for (const row of batch.rows) this.table.set(row.key, row.row);
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.closed += 1;
    return Promise.resolve();
  }
}

const SETTINGS: SinkFeedSettings = { rows: 'valid', every: 3 };
const RETRY = { baseDelayMs: 1, maxDelayMs: 5, maxWaitMs: 60_000 };

function walked(index: number, valid = index % 4 !== 3): WalkedRow {
  return { index, key: `r${String(index)}`, row: { id: `r${String(index)}`, n: index, text: 'x' }, valid };
}

describe('SinkRunner', () => {
  let workspace: string;
  let store: Store;

  before(async () => {
    workspace = await mkdtemp(join(tmpdir(), 'bp-sink-runner-'));
    store = createStore({ workspace });
    await createTestJob(store);
  });

  after(async () => {
    await store.close();
    await rm(workspace, { recursive: true, force: true });
  });

  const start = (sink: Sink, settings: Partial<SinkFeedSettings> = {}, fromStart = false) =>
    SinkRunner.start({
      store,
      jobId: JOB,
      sinks: [{ sink, settings: { ...SETTINGS, ...settings } }],
      clock: systemClock,
      retry: RETRY,
      fromStart,
    });

  it('writes the valid rows in batches of `every`, the rest at the end, and records each batch', async () => {
    const sink = new MemorySink('a');
    const runner = await start(sink);
    for (let index = 0; index < 10; index += 1) await runner.offer(walked(index));
    const figures = await runner.finish();
    // Rows 3 and 7 are not valid: 8 rows, batches of 3, 3 and 2.
    assert.deepEqual(
      sink.writes.map((batch) => [batch.batchNo, batch.rows.map((row) => row.key)]),
      [
        [1, ['r0', 'r1', 'r2']],
        [2, ['r4', 'r5', 'r6']],
        [3, ['r8', 'r9']],
      ],
    );
    assert.deepEqual(figures, [{ name: 'a', rowsWritten: 8, batches: 3, retries: 0, doneThroughRow: 10 }]);
    assert.deepEqual(await store.sinkProgress(JOB, 'a'), {
      nextBatchNo: 4,
      doneThroughRow: 10,
      rowsWritten: 8,
      batchesDone: 3,
    });
    assert.equal(sink.closed, 1);
  });

  it('a later walk sends only what the sink lacks; `sink JOB` (from the start) sends all again', async () => {
    const sink = new MemorySink('a');
    const runner = await start(sink);
    for (let index = 0; index < 13; index += 1) await runner.offer(walked(index));
    await runner.finish();
    assert.deepEqual(
      sink.writes.map((batch) => [batch.batchNo, batch.rows.map((row) => row.key)]),
      [[4, ['r10', 'r12']]],
    );
    const again = new MemorySink('a');
    const replay = await start(again, {}, true);
    for (let index = 0; index < 13; index += 1) await replay.offer(walked(index));
    await replay.finish();
    assert.equal(again.table.size, 10);
    assert.equal(again.writes[0]?.batchNo, 1);
  });

  it('a batch left pending by a crash is made again under its number; the rows land once', async () => {
    const sink = new MemorySink('b');
    sink.failWith = new Error('killed');
    const runner = await start(sink);
    for (let index = 0; index < 2; index += 1) await runner.offer(walked(index));
    await assert.rejects(runner.offer(walked(2)), /killed/);
    await runner.close();
    assert.deepEqual(await store.sinkProgress(JOB, 'b'), {
      nextBatchNo: 1,
      doneThroughRow: 0,
      rowsWritten: 0,
      batchesDone: 0,
    });
    sink.failWith = undefined;
    const resumed = await start(sink);
    for (let index = 0; index < 6; index += 1) await resumed.offer(walked(index));
    await resumed.finish();
    assert.deepEqual(
      sink.writes.map((batch) => [batch.batchNo, batch.rows.map((row) => row.key)]),
      [
        [1, ['r0', 'r1', 'r2']],
        [2, ['r4', 'r5']],
      ],
    );
  });

  it('retries a sink that is unavailable for a while; past the bound it stops with SINK_UNAVAILABLE', async () => {
    const flaky = new MemorySink('c');
    flaky.unavailableFor = 3;
    const runner = await start(flaky, { every: 2 });
    for (let index = 0; index < 3; index += 1) await runner.offer(walked(index));
    const figures = await runner.finish();
    assert.equal(figures[0]?.retries, 3);
    assert.equal(flaky.table.size, 3);

    const down = new MemorySink('d');
    down.unavailableFor = Number.POSITIVE_INFINITY;
    const stuck = await SinkRunner.start({
      store,
      jobId: JOB,
      sinks: [{ sink: down, settings: { ...SETTINGS, every: 1 } }],
      clock: systemClock,
      retry: { baseDelayMs: 1, maxDelayMs: 5, maxWaitMs: 30 },
    });
    await assert.rejects(stuck.offer(walked(0)), { code: 'SINK_UNAVAILABLE' });
    await stuck.close();
    assert.equal((await store.sinkProgress(JOB, 'd')).batchesDone, 0);
  });

  it("waits as long as the sink asks (Retry-After), and a sink's own max_wait bounds its batch", async () => {
    const attempts: number[] = [];
    const asking = new MemorySink('retry-after');
    asking.write = (batch) => {
      attempts.push(performance.now());
      if (attempts.length === 1) {
        return Promise.reject(new SinkError('SINK_UNAVAILABLE', 'slow down', { retryAfterMs: 80 }));
      }
      asking.writes.push(batch);
      return Promise.resolve();
    };
    const runner = await start(asking, { every: 1 });
    await runner.offer(walked(0));
    await runner.finish();
    assert.equal(asking.writes.length, 1);
    // The runner's own backoff here is 1 ms: the gap is the sink's ask (a timer never fires early).
    assert.ok(
      (attempts[1] ?? 0) - (attempts[0] ?? 0) >= 75,
      `gap ${String((attempts[1] ?? 0) - (attempts[0] ?? 0))} ms`,
    );

    const down = new MemorySink('own-bound');
    down.unavailableFor = Number.POSITIVE_INFINITY;
    const bounded = await start(down, { every: 1, maxWaitMs: 20 });
    await assert.rejects(bounded.offer(walked(0)), { code: 'SINK_UNAVAILABLE' });
    await bounded.close();
  });

  it('writes a batch once its first row is `every_seconds` old, full or not', async () => {
    const sink = new MemorySink('e');
    const runner = await start(sink, { every: 1000, everySeconds: 0.05 });
    await runner.offer(walked(0));
    for (let waited = 0; sink.writes.length === 0 && waited < 30_000; waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.deepEqual(
      sink.writes.map((batch) => batch.rows.map((row) => row.key)),
      [['r0']],
    );
    await runner.offer(walked(1));
    await runner.finish();
    assert.deepEqual(
      sink.writes.map((batch) => batch.batchNo),
      [1, 2],
    );
  });

  it('rows: all sends every row; `key` names the row field the key is read from', async () => {
    const sink = new MemorySink('f');
    const runner = await start(sink, { rows: 'all', key: 'n' });
    for (let index = 0; index < 4; index += 1) await runner.offer(walked(index));
    await runner.finish();
    assert.deepEqual([...sink.table.keys()], ['0', '1', '2', '3']);
  });
});
