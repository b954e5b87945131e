import { mkdirSync } from 'node:fs';
import { UsageError } from '../errors/index.ts';
import type { Clock } from '../util/clock.ts';
import type { SchedulerStore } from './scheduler-store.ts';
import type { SharedStore } from './shared-store.ts';
import type { Store } from './store.ts';
import { PostgresStore } from './postgres/postgres-store.ts';
import { SqliteSchedulerStore } from './sqlite/sqlite-scheduler-store.ts';
import { SqliteStore, type SqliteStoreOptions } from './sqlite/sqlite-store.ts';
import { storePathOf } from './store-path.ts';

export { storePathOf } from './store-path.ts';

export interface CreateStoreOptions {
  /** The workspace folder; the store lives in `<workspace>/state.db` unless `url` names a PostgreSQL database. */
  workspace: string;
  /**
   * `postgres://user:password@host:port/database` (`--store`, `$BATCHPILOT_STORE`): the job state lives there and the
   * workspace keeps only the job's files. Unset: the workspace's SQLite store.
   */
  url?: string | undefined;
  isProcessAlive?: (pid: number) => boolean;
  /** Where the times the store records on its own come from (a job's `updatedAt`); the system clock by default. */
  clock?: Clock;
}

/** The one place a store adapter is chosen. Only composition roots call it: the CLI's commands and the library (compose/api/). */
export function createStore(options: CreateStoreOptions): Store {
  if (options.url !== undefined) {
    if (!isPostgresUrl(options.url)) {
      // The URL itself is not shown: it may hold a password where withoutCredentials cannot find it.
      throw new UsageError('USAGE', 'a store URL must be a PostgreSQL URL: postgres://host:port/database', {
        context: { key: 'storeUrl' },
      });
    }
    return createPostgresStore({
      url: options.url,
      ...(options.isProcessAlive === undefined ? {} : { isProcessAlive: options.isProcessAlive }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    });
  }
  return new SqliteStore(stateDbOptions(options));
}

/**
 * Whether `url` names a PostgreSQL database (`postgres://` or `postgresql://`, with a host): the one kind of URL a
 * store is opened from, checked before a connection is tried so a typo never falls back to another store.
 */
export function isPostgresUrl(url: string): boolean {
  if (!/^postgres(ql)?:\/\//i.test(url)) return false;
  try {
    return new URL(url).hostname !== '';
  } catch {
    return false;
  }
}

export interface CreatePostgresStoreOptions {
  /** `postgres://user:password@host:port/database`: the database many workers share. */
  url: string;
  /** Where the times the store records on its own come from; the system clock by default. */
  clock?: Clock;
  isProcessAlive?: (pid: number) => boolean;
}

/**
 * The shared PostgreSQL store (docs/decisions/0030) with the slices its workers take (0031) and the limits they share
 * (0032), migrated on first use.
 */
export function createPostgresStore(options: CreatePostgresStoreOptions): SharedStore {
  return new PostgresStore(options);
}

/** The scheduler's lock and queue, in the same `<workspace>/state.db`. Only composition roots call it. */
export function createSchedulerStore(options: CreateStoreOptions): SchedulerStore {
  return new SqliteSchedulerStore(stateDbOptions(options));
}

/**
 * `<workspace>/state.db` (its folder made if need be, private: 0700 whatever the umask, as
 * it holds every answer and the scheduler's socket), with the injected liveness check if any.
 */
function stateDbOptions(options: CreateStoreOptions): SqliteStoreOptions {
  mkdirSync(options.workspace, { recursive: true, mode: 0o700 });
  return {
    path: storePathOf(options.workspace),
    ...(options.isProcessAlive === undefined ? {} : { isProcessAlive: options.isProcessAlive }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  };
}
