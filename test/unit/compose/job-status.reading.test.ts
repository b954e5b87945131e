import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readJobStatus } from '../../../src/compose/status/job-status.ts';
import { createStore } from '../../../src/store/create-store.ts';

/**
 * Issue 10 section 6: while a job's input is still being read, `status`/`monitor` show what is known (items so far,
 * how much of the file is read) and no ETA, which the unread items would make far too short.
 */
describe('readJobStatus while the input is read', () => {
  it('gives no ETA and the share of the file read until the input is read whole', async () => {
    const workspace = await mkdtemp(join(tmpdir(), 'batchpilot-status-'));
    const store = createStore({ workspace });
    try {
      const now = Date.now();
      await store.createJob({
        id: 'reading',
        inputPath: join(workspace, 'in.jsonl'),
        inputFingerprint: { size: 10_000, sample: 'x' },
        config: { mode: 'realtime' },
        outDir: join(workspace, 'out'),
        now,
      });
      await store.acquireLease('reading', { pid: process.pid, host: 'h', token: 't', heartbeatAt: now }, 15_000);
      await store.setJobState('reading', 'running');
      const items = Array.from({ length: 10 }, (_, seq) => ({
        seq,
        customId: `c${String(seq)}`,
        lineNo: seq + 1,
        byteOffset: seq * 100,
        byteLength: 99,
        raw: '{}',
      }));
      await store.ingest('reading', {
        items,
        rejects: [],
        position: { byte: 1000, line: 10, seq: 10, done: false },
        limit: 0,
      });
      // Five items finished just now: a rate, from which an ETA over the 5 items read and unfinished would be 1 s.
      const finished = Date.now();
      await store.commitProgress([
        {
          jobId: 'reading',
          attempts: [],
          updates: [0, 1, 2, 3, 4].map((seq) => ({
            seq,
            state: 'succeeded' as const,
            attempts: 1,
            statusCode: 200,
            requestId: null,
            body: '{}',
            completedAt: finished,
          })),
        },
      ]);
      const reading = await readJobStatus(store, (await store.getJob('reading'))!, Date.now());
      assert.equal(reading.input_fully_read, false);
      assert.equal(reading.input_read_percent, 10);
      assert.ok(reading.rate_rps > 0, JSON.stringify(reading));
      assert.equal(reading.eta_s, null, 'no ETA while the total is not known');

      await store.ingest('reading', {
        items: [],
        rejects: [],
        position: { byte: 10_000, line: 10, seq: 10, done: true },
        limit: 0,
      });
      const read = await readJobStatus(store, (await store.getJob('reading'))!, Date.now());
      assert.equal(read.input_read_percent, null);
    } finally {
      await store.close();
      await rm(workspace, { recursive: true, force: true });
    }
  });
});
