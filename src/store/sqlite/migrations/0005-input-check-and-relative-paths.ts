import { basename, dirname, join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { toStoredPath } from '../workspace-paths.ts';

/**
 * Schema version 5: what resume checks of the input, and paths that move with the workspace.
 *
 * - `jobs.input_mtime_ms`: the input's mtime when the job was created; resume re-hashes the
 *   whole file only when it differs. `jobs.input_sha256`: sha256 of the whole input, taken
 *   while the first read streamed it from byte 0 to the end (null until then).
 * - `items.line_hash`: 48 bits of the sha1 of the item's line as it was read; every re-read of
 *   the line (resume, missing_records.jsonl, batch chunk files) is checked against it.
 *   Null for items read before this version: those are checked by size and samples only.
 * - `jobs.input_path` and `jobs.out_dir` inside the workspace become relative to it, as new
 *   jobs store them. So does an `out_dir` of the default layout `<folder>/jobs/<job id>` in
 *   another folder: a workspace copied before this version still names the original's folder.
 */
export function migration0005(db: Database, context: { workspace: string }): void {
  db.exec(`
ALTER TABLE jobs ADD COLUMN input_mtime_ms REAL;
ALTER TABLE jobs ADD COLUMN input_sha256 TEXT;
ALTER TABLE items ADD COLUMN line_hash INTEGER;
`);
  const rows = db.prepare<[], { id: string; input_path: string; out_dir: string }>(
    'SELECT id, input_path, out_dir FROM jobs',
  );
  const update = db.prepare<[string, string, string]>('UPDATE jobs SET input_path = ?, out_dir = ? WHERE id = ?');
  for (const row of rows.all()) {
    const outDir = isDefaultJobFolder(row.out_dir, row.id)
      ? join('jobs', row.id)
      : toStoredPath(context.workspace, row.out_dir);
    update.run(toStoredPath(context.workspace, row.input_path), outDir, row.id);
  }
}

/** `<some workspace>/jobs/<id>`: where result files went when `--out` was not given. */
function isDefaultJobFolder(outDir: string, jobId: string): boolean {
  return basename(outDir) === jobId && basename(dirname(outDir)) === 'jobs';
}
