import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createStore } from '../../src/store/create-store.ts';
import { RESPONSE_PART_BYTES } from '../../src/store/sqlite/queries/response-parts.ts';

/** An answer that comes as bytes is stored in parts of at most 1 MiB (migration 0004) and read back whole. */
describe('SqliteStore: answers stored as bytes', () => {
  it('keeps a multi-part answer and a text answer side by side, byte for byte', async () => {
    const workspace = await mkdtemp(join(tmpdir(), 'bp-store-parts-'));
    const store = createStore({ workspace });
    try {
      await store.createJob({
        id: 'job-1',
        inputPath: '/tmp/in.jsonl',
        inputFingerprint: { size: 10, sample: 'abc' },
        config: {},
        outDir: '/tmp/out',
        now: 1,
      });
      await store.ingest('job-1', {
        items: [0, 1].map((seq) => ({
          seq,
          customId: `c${String(seq)}`,
          lineNo: seq + 1,
          byteOffset: seq * 10,
          byteLength: 9,
          raw: '{}',
        })),
        rejects: [],
        limit: 0,
        position: { byte: 20, line: 2, seq: 2, done: true },
      });
      const large = Buffer.from(`{"x":"${'é'.repeat(RESPONSE_PART_BYTES)}"}`);
      assert.ok(large.length > 2 * RESPONSE_PART_BYTES);
      const succeeded = { state: 'succeeded' as const, attempts: 1, statusCode: 200, requestId: 'r', completedAt: 5 };
      await store.commitProgress([
        {
          jobId: 'job-1',
          attempts: [],
          updates: [
            { seq: 0, ...succeeded, body: large },
            { seq: 1, ...succeeded, body: '{"small":true}' },
          ],
        },
      ]);
      const bodies: (string | Uint8Array | null)[] = [];
      for await (const item of store.iterateItems('job-1', 'input')) bodies.push(item.responseBody);
      assert.ok(bodies[0] instanceof Uint8Array);
      assert.equal(Buffer.compare(bodies[0], large), 0);
      assert.equal(bodies[1], '{"small":true}');
    } finally {
      await store.close();
    }
  });
});
