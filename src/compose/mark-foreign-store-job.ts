import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FOREIGN_STORE_MARKER } from '../store/foreign-store-marker.ts';
import { withoutCredentials } from '../util/without-credentials.ts';
import { jobDirPath } from './job-paths.ts';

/**
 * Makes a job's folder in the workspace with the marker of a job kept in another store (see `FOREIGN_STORE_MARKER`),
 * before anything else is written there. The folder appears with its marker in one rename, so the workspace's SQLite
 * store, opened by another command at that moment, never sees it without one. A folder already there is left as is.
 */
export async function markForeignStoreJob(workspace: string, jobId: string, storeUrl: string): Promise<void> {
  const jobs = join(workspace, 'jobs');
  await mkdir(jobs, { recursive: true, mode: 0o700 });
  const staging = await mkdtemp(join(jobs, `.${jobId}-`));
  try {
    await writeFile(join(staging, FOREIGN_STORE_MARKER), `${withoutCredentials(storeUrl)}\n`, { mode: 0o600 });
    await rename(staging, jobDirPath(workspace, jobId));
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    // The folder exists already: a job of this id was made before (its marker, if any, is its own).
    if ((error as NodeJS.ErrnoException).code === 'ENOTEMPTY' || (error as NodeJS.ErrnoException).code === 'EEXIST') {
      return;
    }
    throw error;
  }
}
