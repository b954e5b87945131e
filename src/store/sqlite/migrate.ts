import type { Database } from 'better-sqlite3';
import { migration0001 } from './migrations/0001-init.ts';
import { migration0002 } from './migrations/0002-batch-chunks.ts';
import { migration0003 } from './migrations/0003-scheduler.ts';
import { migration0004 } from './migrations/0004-response-parts.ts';
import { migration0005 } from './migrations/0005-input-check-and-relative-paths.ts';
import { migration0006 } from './migrations/0006-drop-next-attempt-at.ts';
import { migration0007 } from './migrations/0007-answer-checks-and-reasks.ts';
import { migration0008 } from './migrations/0008-check-status.ts';
import { migration0009 } from './migrations/0009-item-groups.ts';
import { migration0010 } from './migrations/0010-sink-outbox.ts';
import { migration0011 } from './migrations/0011-batch-item-indexes.ts';
import { migration0012 } from './migrations/0012-item-prompts.ts';

// SQL, or code for a step SQL alone cannot do (e.g. paths made relative to the workspace).
type Migration = string | ((db: Database, context: MigrationContext) => void);

/** Numbered migrations, applied in order, each in its own transaction. Kept as TS so the build needs no copy step. */
const MIGRATIONS: readonly Migration[] = [
  migration0001,
  migration0002,
  migration0003,
  migration0004,
  migration0005,
  migration0006,
  migration0007,
  migration0008,
  migration0009,
  migration0010,
  migration0011,
  migration0012,
];

/** What a migration written as code may need besides the database. */
export interface MigrationContext {
  /** The folder `state.db` is in. */
  workspace: string;
}

export function migrate(db: Database, context: MigrationContext): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  const currentVersion = (): number =>
    (db.prepare('SELECT MAX(version) AS version FROM schema_migrations').get() as { version: number | null }).version ??
    0;
  MIGRATIONS.forEach((migration, index) => {
    const version = index + 1;
    // Re-read inside the write lock: two processes opening a new workspace at once must not both apply it.
    db.transaction(() => {
      if (version <= currentVersion()) return;
      if (typeof migration === 'string') db.exec(migration);
      else migration(db, context);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(version, Date.now());
    }).immediate();
  });
}
