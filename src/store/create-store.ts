import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SchedulerStore } from './scheduler-store.ts';
import type { Store } from './store.ts';
import { SqliteSchedulerStore } from './sqlite/sqlite-scheduler-store.ts';
import { SqliteStore } from './sqlite/sqlite-store.ts';

export interface CreateStoreOptions {
  /** The workspace folder; the store lives in `<workspace>/state.db`. */
  workspace: string;
  isProcessAlive?: (pid: number) => boolean;
}

/** The one place a store adapter is chosen. Only composition roots (cli/, server/) call it. */
export function createStore(options: CreateStoreOptions): Store {
  mkdirSync(options.workspace, { recursive: true });
  const path = join(options.workspace, 'state.db');
  return options.isProcessAlive === undefined
    ? new SqliteStore({ path })
    : new SqliteStore({ path, isProcessAlive: options.isProcessAlive });
}

/** The scheduler's lock and queue, in the same `<workspace>/state.db`. Only composition roots call it. */
export function createSchedulerStore(options: CreateStoreOptions): SchedulerStore {
  mkdirSync(options.workspace, { recursive: true });
  const path = join(options.workspace, 'state.db');
  return options.isProcessAlive === undefined
    ? new SqliteSchedulerStore({ path })
    : new SqliteSchedulerStore({ path, isProcessAlive: options.isProcessAlive });
}
