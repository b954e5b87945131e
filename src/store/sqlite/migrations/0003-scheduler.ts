/**
 * Schema version 3: the background scheduler of the workspace (`run --detach`).
 *
 * `scheduler_lock` holds at most one row: the process that serves the workspace, with a
 * heartbeat, as a job lease does. `scheduler_queue` lists the jobs handed to the scheduler,
 * in submission order; a row stays until the scheduler has run its job to an end (a job
 * stopped with the scheduler, or left by one that died, stays queued and is resumed).
 */
export const migration0003 = `
CREATE TABLE scheduler_lock (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  pid INTEGER NOT NULL,
  host TEXT NOT NULL,
  token TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  heartbeat_at INTEGER NOT NULL,
  stop_requested_at INTEGER,
  settings_json TEXT NOT NULL
);

CREATE TABLE scheduler_queue (
  position INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL UNIQUE,
  submitted_at INTEGER NOT NULL
);
`;
