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

/** A workspace as version 5 left it: a job with an item waiting for a retry at a stored time. */
function createVersion5Store(workspace: string): void {
  const db = new Database(join(workspace, 'state.db'));
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  const steps = [migration0001, migration0002, migration0003, migration0004, migration0005];
  for (const [index, migration] of steps.entries()) {
    if (typeof migration === 'string') db.exec(migration);
    else migration(db, { workspace });
    db.prepare('INSERT INTO schema_migrations VALUES (?, 0)').run(index + 1);
  }
  db.prepare(
    `INSERT INTO jobs (id, state, created_at, updated_at, input_path, input_size, input_sample, config_json, out_dir, cursor_json)
     VALUES ('j', 'interrupted', 0, 0, 'in.jsonl', 1, 'x', '{}', 'jobs/j', '{}')`,
  ).run();
  db.prepare(
    `INSERT INTO items (job_id, seq, custom_id, line_no, byte_offset, byte_length, state, attempts, next_attempt_at)
     VALUES ('j', 0, 'a', 1, 0, 10, 'retry_wait', 1, 123456)`,
  ).run();
  db.close();
}

function itemColumns(workspace: string): string[] {
  const db = new Database(join(workspace, 'state.db'), { readonly: true });
  try {
    return db
      .prepare<[], { name: string }>('PRAGMA table_info(items)')
      .all()
      .map((column) => column.name);
  } finally {
    db.close();
  }
}

describe('migration 0006: items.next_attempt_at dropped', () => {
  it('drops the column nothing read, keeping the waiting item unfinished for resume', async () => {
    const workspace = await mkdtemp(join(tmpdir(), 'bp-migrate-6-'));
    try {
      createVersion5Store(workspace);
      const store = createStore({ workspace });
      try {
        const unfinished = [];
        for await (const item of store.iterateUnfinished('j')) unfinished.push(item);
        assert.deepEqual(
          unfinished.map((item) => [item.customId, item.attempts]),
          [['a', 1]],
        );
      } finally {
        await store.close();
      }
      const columns = itemColumns(workspace);
      assert.ok(columns.includes('line_hash'), `columns: ${columns.join(', ')}`);
      assert.ok(!columns.includes('next_attempt_at'), `columns: ${columns.join(', ')}`);
    } finally {
      await rm(workspace, { recursive: true, force: true });
    }
  });
});
