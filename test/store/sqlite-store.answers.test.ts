import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createStore, storePathOf } from '../../src/store/create-store.ts';
import { openDatabase } from '../../src/store/sqlite/open-database.ts';
import { ANSWERS_QUERY } from '../../src/store/sqlite/queries/answers.ts';
import { RESPONSE_PART_BYTES } from '../../src/store/sqlite/queries/response-parts.ts';

/** `answersFor` on SQLite: the plan that keeps a page's read to its own items, and answers kept in parts. */
describe('SqliteStore: answers for join-back', () => {
  it('looks each id up in items_custom_id and never walks the whole job', async () => {
    const workspace = await mkdtemp(join(tmpdir(), 'bp-store-answers-'));
    try {
      await createStore({ workspace }).close();
      const db = openDatabase(storePathOf(workspace));
      try {
        const plan = db
          .prepare<[string, string], { detail: string }>(`EXPLAIN QUERY PLAN ${ANSWERS_QUERY}`)
          .all('["c0"]', 'job-1')
          .map((row) => row.detail);
        const onItems = plan.filter((detail) => / i\b/.test(detail));
        assert.deepEqual(onItems, ['SEARCH i USING INDEX items_custom_id (job_id=? AND custom_id=?)'], plan.join('\n'));
        assert.ok(
          plan.some((detail) => detail.startsWith('SEARCH a USING INDEX attempts_job (job_id=? AND seq=?)')),
          plan.join('\n'),
        );
      } finally {
        db.close();
      }
    } finally {
      await rm(workspace, { recursive: true, force: true });
    }
  });

  it('names the model of an answer of several parts from its head', async () => {
    const workspace = await mkdtemp(join(tmpdir(), 'bp-store-answers-'));
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
        items: [{ seq: 0, customId: 'c0', lineNo: 1, byteOffset: 0, byteLength: 9, raw: '{}' }],
        rejects: [],
        limit: 0,
        position: { byte: 10, line: 1, seq: 1, done: true },
      });
      const large = Buffer.from(`{"model":"m-large","x":"${'y'.repeat(RESPONSE_PART_BYTES + 10)}"}`);
      await store.commitProgress([
        {
          jobId: 'job-1',
          attempts: [],
          updates: [
            { seq: 0, state: 'succeeded', attempts: 1, statusCode: 200, requestId: 'r', body: large, completedAt: 5 },
          ],
        },
      ]);
      assert.equal((await store.answersFor('job-1', ['c0'])).get('c0')?.model, 'm-large');
    } finally {
      await store.close();
      await rm(workspace, { recursive: true, force: true });
    }
  });
});
