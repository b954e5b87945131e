/**
 * The file a job folder holds when its job is kept in another store than the workspace's own SQLite one (a
 * PostgreSQL store, `--store`): the SQLite store does not count such a folder as one of its jobs, so a workspace whose
 * jobs all live in PostgreSQL is not taken for one whose `state.db` was lost. It names the store (without
 * credentials), for whoever finds the folder.
 */
export const FOREIGN_STORE_MARKER = 'store-url.txt';
