import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { createStore } from '../../src/store/create-store.ts';
import { migration0001 } from '../../src/store/sqlite/migrations/0001-init.ts';
import { migration0002 } from '../../src/store/sqlite/migrations/0002-batch-chunks.ts';
import { migration0003 } from '../../src/store/sqlite/migrations/0003-scheduler.ts';
import { migration0004 } from '../../src/store/sqlite/migrations/0004-response-parts.ts';
import { migration0005 } from '../../src/store/sqlite/migrations/0005-input-check-and-relative-paths.ts';
import { migration0006 } from '../../src/store/sqlite/migrations/0006-drop-next-attempt-at.ts';
import { migration0007 } from '../../src/store/sqlite/migrations/0007-answer-checks-and-reasks.ts';

/** A workspace as version 7 left it: a data job with checked answers (valid after a re-ask, invalid, unchecked). */
function createVersion7Store(workspace: string): void {
  const db = new Database(join(workspace, 'state.db'));
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  const steps = [
    migration0001,
    migration0002,
    migration0003,
    migration0004,
    migration0005,
    migration0006,
    migration0007,
  ];
  for (const [index, migration] of steps.entries()) {
    if (typeof migration === 'string') db.exec(migration);
    else migration(db, { workspace });
    db.prepare('INSERT INTO schema_migrations VALUES (?, 0)').run(index + 1);
  }
  db.prepare(
    `INSERT INTO jobs (id, state, created_at, updated_at, input_path, input_size, input_sample, config_json, out_dir, cursor_json)
     VALUES ('j', 'completed', 0, 0, 'in.jsonl', 1, 'x', '{}', 'jobs/j', '{}')`,
  ).run();
  const insert = db.prepare<[number, string, number, string | null]>(
    `INSERT INTO items (job_id, seq, custom_id, line_no, byte_offset, byte_length, state, attempts, reasks, response_body, check_json)
     VALUES ('j', ?, ?, 1, 0, 10, 'succeeded', 1, ?, '{}', ?)`,
  );
  insert.run(0, 'a', 1, JSON.stringify({ status: 'valid', value: { x: 1 }, issues: [] }));
  insert.run(1, 'b', 2, JSON.stringify({ status: 'invalid', value: null, issues: [{ path: '', message: 'no' }] }));
  insert.run(2, 'c', 0, null);
  db.close();
}

describe('migration 0008: items.check_status', () => {
  it("fills each stored check's status, which the run's report counts from", async () => {
    const workspace = await mkdtemp(join(tmpdir(), 'bp-migrate-8-'));
    try {
      createVersion7Store(workspace);
      const store = createStore({ workspace });
      try {
        const review = await store.reviewStats('j');
        assert.deepEqual(review.byStatus, { valid: 1, invalid: 1 });
        assert.deepEqual(review.validAfterReasks, [0, 1]);
      } finally {
        await store.close();
      }
    } finally {
      await rm(workspace, { recursive: true, force: true });
    }
  });
});
