import { closeSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import { StoreError } from '../../errors/index.ts';
import { migrate } from './migrate.ts';

/**
 * The workspace's `state.db` on a connection of its own, migrated: WAL (readers such as
 * `status` run beside the writer), synchronous=NORMAL, and a wait for the write lock instead
 * of an error while another connection commits. `cacheKiB` sizes the page cache (SQLite's
 * default, about 2 MB, when unset).
 *
 * A new store file is created 0600 here, before SQLite opens it: SQLite gives its `-wal` and
 * `-shm` files the mode of the database file, so all three stay private whatever the umask.
 */
export function openDatabase(path: string, options: { cacheKiB?: number } = {}): SqliteDatabase {
  try {
    // 'a' creates the file when missing and never truncates one that exists.
    closeSync(openSync(path, 'a', 0o600));
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 10000');
    if (options.cacheKiB !== undefined) db.pragma(`cache_size = -${String(options.cacheKiB)}`);
    migrate(db);
    return db;
  } catch (error) {
    throw new StoreError('STORE_FAILED', `cannot open the state store ${path}: ${(error as Error).message}`, {
      cause: error,
      context: { file: path },
    });
  }
}
