import { closeSync, existsSync, openSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import { createCorruptStoreError, StoreError, toStorageFault } from '../../errors/index.ts';
import { migrate } from './migrate.ts';
import { FOREIGN_STORE_MARKER } from '../foreign-store-marker.ts';

/**
 * The workspace's `state.db` on a connection of its own, migrated: WAL (readers such as
 * `status` run beside the writer), synchronous=NORMAL, and a wait for the write lock instead
 * of an error while another connection commits. `cacheKiB` sizes the page cache (SQLite's
 * default, about 2 MB, when unset).
 *
 * A new store file is created 0600 here, before SQLite opens it: SQLite gives its `-wal` and
 * `-shm` files the mode of the database file, so all three stay private whatever the umask.
 *
 * A missing or 0-byte `state.db` beside job folders (`jobs/<id>/`) is refused with
 * `STORE_CORRUPT` instead of being created afresh: SQLite would take it as a new, empty
 * database and the jobs would silently vanish. A file that is not a database is refused the same way.
 */
export function openDatabase(path: string, options: { cacheKiB?: number } = {}): SqliteDatabase {
  assertNotLost(path);
  let db: SqliteDatabase | undefined;
  try {
    // 'a' creates the file when missing and never truncates one that exists.
    closeSync(openSync(path, 'a', 0o600));
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 10000');
    if (options.cacheKiB !== undefined) db.pragma(`cache_size = -${String(options.cacheKiB)}`);
    migrate(db, { workspace: resolve(dirname(path)) });
    return db;
  } catch (error) {
    db?.close();
    throw (
      toStorageFault(error, { storePath: path }) ??
      new StoreError('STORE_FAILED', `cannot open the state store ${path}: ${(error as Error).message}`, {
        cause: error,
        context: { file: path },
      })
    );
  }
}

function assertNotLost(path: string): void {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    size = 0;
  }
  if (size > 0) return;
  const jobs = jobFolders(join(dirname(path), 'jobs'));
  if (jobs.length === 0) return;
  const shown = jobs.slice(0, 3).join(', ') + (jobs.length > 3 ? ', ...' : '');
  throw createCorruptStoreError(
    path,
    `it is empty or missing while jobs/ holds ${String(jobs.length)} job folder(s): ${shown}`,
  );
}

/** The job folders that are this store's: not a job kept in another store, nor a folder being made (a dot name). */
function jobFolders(folder: string): string[] {
  try {
    return readdirSync(folder, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
      .filter((entry) => !existsSync(join(folder, entry.name, FOREIGN_STORE_MARKER)))
      .map((entry) => entry.name);
  } catch {
    return [];
  }
}
