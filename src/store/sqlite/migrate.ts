import type { Database } from 'better-sqlite3';
import { migration0001 } from './migrations/0001-init.ts';
import { migration0002 } from './migrations/0002-batch-chunks.ts';
import { migration0003 } from './migrations/0003-scheduler.ts';
import { migration0004 } from './migrations/0004-response-parts.ts';

/** Numbered migrations, applied in order, each in its own transaction. Kept as TS strings so the build needs no copy step. */
const MIGRATIONS: readonly string[] = [migration0001, migration0002, migration0003, migration0004];

export function migrate(db: Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  const currentVersion = (): number =>
    (db.prepare('SELECT MAX(version) AS version FROM schema_migrations').get() as { version: number | null }).version ??
    0;
  MIGRATIONS.forEach((sql, index) => {
    const version = index + 1;
    // Re-read inside the write lock: two processes opening a new workspace at once must not both apply it.
    db.transaction(() => {
      if (version <= currentVersion()) return;
      db.exec(sql);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(version, Date.now());
    }).immediate();
  });
}
