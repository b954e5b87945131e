import { StoreError } from './store-error.ts';

// errno codes of a write that found no room: no space, over quota, over the file-size limit.
const NO_ROOM_ERRNO = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);
// SQLite result codes of a database file that is not (or no longer) a database.
const CORRUPT_SQLITE = /^SQLITE_(CORRUPT|NOTADB)/;

/**
 * The environment fault behind `error`, if any, as a clear `StoreError`: `DISK_FULL` for a
 * write that found no room (the store's `SQLITE_FULL`, or `ENOSPC`/`EDQUOT`/`EFBIG` of a result
 * file), `STORE_CORRUPT` for a store that is not a database. Looks through `cause` chains, as
 * the engine may wrap what the store or a file write threw. Anything else gives `undefined`.
 *
 * Nothing committed is lost on a full disk: a store transaction is all or nothing, and result
 * files are written to temp files renamed into place, so resuming once there is room carries on.
 */
export function toStorageFault(error: unknown, options: StorageFaultOptions): StoreError | undefined {
  const seen = new Set<unknown>();
  for (let current: unknown = error; current instanceof Error && !seen.has(current);) {
    seen.add(current);
    if (current instanceof StoreError && (current.code === 'DISK_FULL' || current.code === 'STORE_CORRUPT')) {
      return current;
    }
    const { code, path } = current as { code?: unknown; path?: unknown };
    if (typeof code === 'string' && (NO_ROOM_ERRNO.has(code) || code === 'SQLITE_FULL')) {
      const file = typeof path === 'string' ? path : options.storePath;
      const resume = options.jobId === undefined ? '"batchpilot resume JOB"' : `"batchpilot resume ${options.jobId}"`;
      return new StoreError(
        'DISK_FULL',
        `no room left to write ${file} (${code}): free some space on its disk (or raise the quota or file-size limit), then run ${resume}; nothing committed is lost`,
        { cause: current, context: { file, ...(options.jobId === undefined ? {} : { jobId: options.jobId }) } },
      );
    }
    if (typeof code === 'string' && CORRUPT_SQLITE.test(code))
      return createCorruptStoreError(options.storePath, current);
    current = current.cause;
  }
  return undefined;
}

export interface StorageFaultOptions {
  /** The workspace's `state.db`, named when the failing write was the store's. */
  storePath: string;
  /** Named in the way to carry on. */
  jobId?: string | undefined;
}

/** `STORE_CORRUPT` for a `state.db` that cannot be read as a database. */
export function createCorruptStoreError(storePath: string, cause: unknown): StoreError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new StoreError(
    'STORE_CORRUPT',
    `the state store ${storePath} is damaged (${reason}); restore it from a backup, or move the workspace folder away to start a new one (its jobs/ folder keeps the result files written so far)`,
    { cause, context: { file: storePath } },
  );
}
