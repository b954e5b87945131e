import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { createStore } from '../../src/store/create-store.ts';
import { migration0001 } from '../../src/store/sqlite/migrations/0001-init.ts';
import { migration0002 } from '../../src/store/sqlite/migrations/0002-batch-chunks.ts';
import { migration0003 } from '../../src/store/sqlite/migrations/0003-scheduler.ts';

/** A workspace as version 3 left it: absolute paths in the jobs table. */
function createVersion3Store(workspace: string, jobs: { id: string; inputPath: string; outDir: string }[]): void {
  const db = new Database(join(workspace, 'state.db'));
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  for (const [index, sql] of [migration0001, migration0002, migration0003].entries()) {
    db.exec(sql);
    db.prepare('INSERT INTO schema_migrations VALUES (?, 0)').run(index + 1);
  }
  const insert = db.prepare(
    `INSERT INTO jobs (id, state, created_at, updated_at, input_path, input_size, input_sample, config_json, out_dir, cursor_json)
     VALUES (?, 'interrupted', 0, 0, ?, 1, 'x', '{}', ?, '{}')`,
  );
  for (const job of jobs) insert.run(job.id, job.inputPath, job.outDir);
  db.close();
}

describe('migration 0005: job paths move with the workspace', () => {
  it('makes paths inside the workspace, and default job folders copied from elsewhere, relative', async () => {
    const root = await mkdtemp(join(tmpdir(), 'bp-migrate-'));
    try {
      const original = join(root, 'ws');
      await mkdir(original);
      createVersion3Store(original, [
        { id: 'a', inputPath: join(original, 'inputs', 'a.jsonl'), outDir: join(original, 'jobs', 'a') },
        { id: 'b', inputPath: '/data/b.jsonl', outDir: '/results/b-out' },
      ]);
      // Copied before upgrading: the rows still name the original's folders.
      const copy = join(root, 'copy');
      await cp(original, copy, { recursive: true });
      const store = createStore({ workspace: copy });
      try {
        const a = await store.getJob('a');
        const b = await store.getJob('b');
        assert.equal(a?.outDir, join(copy, 'jobs', 'a'));
        // Not inside the copy: an input beside the original workspace stays where it is.
        assert.equal(a?.inputPath, join(original, 'inputs', 'a.jsonl'));
        assert.equal(b?.outDir, '/results/b-out');
        assert.equal(b?.inputPath, '/data/b.jsonl');
      } finally {
        await store.close();
      }
      const inPlace = createStore({ workspace: original });
      try {
        assert.equal((await inPlace.getJob('a'))?.inputPath, join(original, 'inputs', 'a.jsonl'));
      } finally {
        await inPlace.close();
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
