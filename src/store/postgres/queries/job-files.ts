import type pg from 'pg';

/** The most bytes one row of `job_files` holds. */
export const JOB_FILE_PART_BYTES = 8 * 1024 * 1024;

/** In the caller's transaction: `body` replaces the job's file `name`, cut in parts. */
export async function putJobFile(db: pg.ClientBase, jobId: string, name: string, body: Buffer): Promise<void> {
  await db.query('DELETE FROM job_files WHERE job_id = $1 AND name = $2', [jobId, name]);
  const parts = Math.max(1, Math.ceil(body.length / JOB_FILE_PART_BYTES));
  for (let part = 0; part < parts; part++) {
    await db.query('INSERT INTO job_files (job_id, name, part, body) VALUES ($1, $2, $3, $4)', [
      jobId,
      name,
      part,
      body.subarray(part * JOB_FILE_PART_BYTES, (part + 1) * JOB_FILE_PART_BYTES),
    ]);
  }
}

export async function getJobFile(db: pg.ClientBase, jobId: string, name: string): Promise<Buffer | undefined> {
  const { rows } = await db.query<{ body: Buffer }>(
    'SELECT body FROM job_files WHERE job_id = $1 AND name = $2 ORDER BY part',
    [jobId, name],
  );
  return rows.length === 0 ? undefined : Buffer.concat(rows.map((row) => row.body));
}

export async function hasJobFile(db: pg.ClientBase, jobId: string, name: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM job_files WHERE job_id = $1 AND name = $2 AND part = 0', [
    jobId,
    name,
  ]);
  return (rowCount ?? 0) > 0;
}
