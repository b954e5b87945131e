/**
 * The jobs table: a row turned into a `Job`, and the job statements of the SQLite store (state, config, cursor,
 * lease, cancel request).
 */
import type { Database } from 'better-sqlite3';
import type { IngestCursor, Job, JobConfig, JobData } from '../../../core/job.ts';
import type { JobState } from '../../../core/states.ts';
import { fromStoredPath } from '../workspace-paths.ts';

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
  /** Migration 0007. */
  data_json: string | null;
}

/** The job a row holds; paths stored relative to the workspace are resolved against `workspace`. */
export function toJob(row: JobRow, workspace: string): Job {
  return {
    id: row.id,
    state: row.state as JobState,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    inputPath: fromStoredPath(workspace, row.input_path),
    inputFingerprint: {
      size: row.input_size,
      sample: row.input_sample,
      mtimeMs: row.input_mtime_ms,
      sha256: row.input_sha256,
    },
    // Written from a validated config (config/stored-config.ts): the one place its type is taken on trust.
    config: JSON.parse(row.config_json) as JobConfig,
    outDir: fromStoredPath(workspace, row.out_dir),
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

/** @internal Left out of the .d.ts (stripInternal): its inferred type names better-sqlite3's unexported namespace. */
export function prepareJobQueries(db: Database) {
  return {
    insert: db.prepare<[Record<string, unknown>]>(
      `INSERT INTO jobs (id, state, created_at, updated_at, input_path, input_size, input_sample, input_mtime_ms,
         config_json, out_dir, cursor_json, data_json)
       VALUES (@id, @state, @now, @now, @input_path, @input_size, @input_sample, @input_mtime_ms,
         @config_json, @out_dir, @cursor_json, @data_json)`,
    ),
    get: db.prepare<[string], JobRow>('SELECT * FROM jobs WHERE id = ?'),
    list: db.prepare<[], JobRow>('SELECT * FROM jobs ORDER BY created_at, id'),
    setState: db.prepare<[string, number, number, number, number | null, string]>(
      `UPDATE jobs SET state = ?, updated_at = ?, active_ms = active_ms + ?,
         finished_at = CASE WHEN ? = 1 THEN ? ELSE finished_at END WHERE id = ?`,
    ),
    setInputHash: db.prepare<[string, string]>('UPDATE jobs SET input_sha256 = ? WHERE id = ?'),
    setInputMtime: db.prepare<[number, string]>('UPDATE jobs SET input_mtime_ms = ? WHERE id = ?'),
    setData: db.prepare<[string, number, string]>('UPDATE jobs SET data_json = ?, updated_at = ? WHERE id = ?'),
    setConfig: db.prepare<[string, number, string]>('UPDATE jobs SET config_json = ?, updated_at = ? WHERE id = ?'),
    setCursor: db.prepare<[string, number, string]>('UPDATE jobs SET cursor_json = ?, updated_at = ? WHERE id = ?'),
    setLease: db.prepare<[number | null, string | null, string | null, number | null, string]>(
      'UPDATE jobs SET lease_pid = ?, lease_host = ?, lease_token = ?, lease_heartbeat_at = ? WHERE id = ?',
    ),
    heartbeat: db.prepare<[number, number, number, string, string]>(
      `UPDATE jobs SET active_ms = active_ms + CASE WHEN state IN ('running', 'finalizing')
         THEN MIN(MAX(? - lease_heartbeat_at, 0), ?) ELSE 0 END, lease_heartbeat_at = ?
       WHERE id = ? AND lease_token = ?`,
    ),
    release: db.prepare<[string, string]>(
      'UPDATE jobs SET lease_pid = NULL, lease_host = NULL, lease_token = NULL, lease_heartbeat_at = NULL WHERE id = ? AND lease_token = ?',
    ),
    requestCancel: db.prepare<[number, string]>(
      'UPDATE jobs SET cancel_requested_at = COALESCE(cancel_requested_at, ?) WHERE id = ?',
    ),
    clearCancel: db.prepare<[string]>('UPDATE jobs SET cancel_requested_at = NULL WHERE id = ?'),
  };
}
