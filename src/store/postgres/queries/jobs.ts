/**
 * The jobs table: a row turned into a `Job`, and the job statements of the PostgreSQL store (state, config, cursor,
 * lease, cancel request). Paths are kept as given: a PostgreSQL store is shared by workers, not a folder that moves.
 */
import type pg from 'pg';
import type { IngestCursor, Job, JobConfig, JobData } from '../../../core/job.ts';
import type { JobState } from '../../../core/states.ts';
import type { NewJob } from '../../job-store.ts';

export interface JobRow {
  id: string;
  state: string;
  created_at: number;
  updated_at: number;
  input_path: string;
  input_size: number;
  input_sample: string;
  config_json: string;
  out_dir: string;
  cursor_json: string;
  active_ms: number;
  finished_at: number | null;
  lease_pid: number | null;
  lease_host: string | null;
  lease_token: string | null;
  lease_heartbeat_at: number | null;
  cancel_requested_at: number | null;
  input_mtime_ms: number | null;
  input_sha256: string | null;
  data_json: string | null;
}

const EMPTY_CURSOR: IngestCursor = { byte: 0, line: 0, seq: 0, accepted: 0, leftOut: 0, rejected: 0, done: false };

export function toJob(row: JobRow): Job {
  return {
    id: row.id,
    state: row.state as JobState,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    inputPath: row.input_path,
    inputFingerprint: {
      size: row.input_size,
      sample: row.input_sample,
      mtimeMs: row.input_mtime_ms,
      sha256: row.input_sha256,
    },
    // Written from a validated config (config/stored-config.ts): the one place its type is taken on trust.
    config: JSON.parse(row.config_json) as JobConfig,
    outDir: row.out_dir,
    cursor: JSON.parse(row.cursor_json) as IngestCursor,
    activeMs: row.active_ms,
    finishedAt: row.finished_at,
    cancelRequestedAt: row.cancel_requested_at,
    lease:
      row.lease_token === null
        ? null
        : {
            pid: row.lease_pid ?? 0,
            host: row.lease_host ?? '',
            token: row.lease_token,
            heartbeatAt: row.lease_heartbeat_at ?? 0,
          },
    data: row.data_json === null ? null : (JSON.parse(row.data_json) as JobData),
  };
}

export async function insertJob(db: pg.ClientBase, job: NewJob): Promise<void> {
  await db.query(
    `INSERT INTO jobs (id, state, created_at, updated_at, input_path, input_size, input_sample, input_mtime_ms,
       config_json, out_dir, cursor_json, data_json)
     VALUES ($1, 'created', $2, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      job.id,
      job.now,
      job.inputPath,
      job.inputFingerprint.size,
      job.inputFingerprint.sample,
      job.inputFingerprint.mtimeMs ?? null,
      JSON.stringify(job.config),
      job.outDir,
      JSON.stringify(EMPTY_CURSOR),
      job.data === undefined ? null : JSON.stringify(job.data),
    ],
  );
}

/**
 * The job's row; `forUpdate` locks it to the end of the transaction (what SQLite's write lock gave each call). `NO KEY`
 * so that the lock does not also block other workers' inserts of attempts and items, whose foreign key checks take a
 * key-share lock on this row.
 */
export async function selectJob(db: pg.ClientBase, jobId: string, forUpdate = false): Promise<JobRow | undefined> {
  const { rows } = await db.query<JobRow>({
    name: forUpdate ? 'job-get-for-update' : 'job-get',
    text: `SELECT * FROM jobs WHERE id = $1${forUpdate ? ' FOR NO KEY UPDATE' : ''}`,
    values: [jobId],
  });
  return rows[0];
}

export async function selectJobs(db: pg.ClientBase): Promise<JobRow[]> {
  return (await db.query<JobRow>('SELECT * FROM jobs ORDER BY created_at, id COLLATE "C"')).rows;
}

export async function updateJobState(
  db: pg.ClientBase,
  jobId: string,
  state: JobState,
  now: number,
  patch: { activeMsDelta?: number; finishedAt?: number | null },
): Promise<void> {
  await db.query(
    `UPDATE jobs SET state = $1, updated_at = $2, active_ms = active_ms + $3,
       finished_at = CASE WHEN $4 THEN $5::bigint ELSE finished_at END WHERE id = $6`,
    [state, now, patch.activeMsDelta ?? 0, patch.finishedAt !== undefined, patch.finishedAt ?? null, jobId],
  );
}

/** The simple one-column job updates, by name: each is `(value, ...) WHERE id = $last`. */
export const JOB_UPDATES = {
  inputMtime: 'UPDATE jobs SET input_mtime_ms = $1 WHERE id = $2',
  inputHash: 'UPDATE jobs SET input_sha256 = $1 WHERE id = $2',
  config: 'UPDATE jobs SET config_json = $1, updated_at = $2 WHERE id = $3',
  data: 'UPDATE jobs SET data_json = $1, updated_at = $2 WHERE id = $3',
  cursor: 'UPDATE jobs SET cursor_json = $1, updated_at = $2 WHERE id = $3',
  requestCancel: 'UPDATE jobs SET cancel_requested_at = COALESCE(cancel_requested_at, $1) WHERE id = $2',
  clearCancel: 'UPDATE jobs SET cancel_requested_at = NULL WHERE id = $1',
  setLease: 'UPDATE jobs SET lease_pid = $1, lease_host = $2, lease_token = $3, lease_heartbeat_at = $4 WHERE id = $5',
  heartbeat: `UPDATE jobs SET active_ms = active_ms + CASE WHEN state IN ('running', 'finalizing')
      THEN LEAST(GREATEST($1 - lease_heartbeat_at, 0), $2) ELSE 0 END, lease_heartbeat_at = $1
    WHERE id = $3 AND lease_token = $4`,
  release: `UPDATE jobs SET lease_pid = NULL, lease_host = NULL, lease_token = NULL, lease_heartbeat_at = NULL
    WHERE id = $1 AND lease_token = $2`,
} as const;
