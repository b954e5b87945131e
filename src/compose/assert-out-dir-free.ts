import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors/index.ts';
import { RESULT_FILES } from '../output/result-file-names.ts';
import type { JobStore } from '../store/store.ts';

/**
 * `--out DIR` for a new job: refused (`OUT_DIR_IN_USE`) when DIR already holds another job's result files,
 * which writing this job's files would replace without a word. Another job of this workspace is found in
 * the store; one of another workspace (or a deleted store) by the `report.json` it left in DIR.
 */
export async function assertOutDirFree(store: JobStore, outDir: string, jobId: string): Promise<void> {
  const owner = (await store.listJobs()).find((job) => job.outDir === outDir && job.id !== jobId)?.id;
  const other = owner ?? (await reportJobId(outDir));
  if (other === undefined || other === jobId) return;
  throw new UsageError(
    'OUT_DIR_IN_USE',
    `--out ${outDir} holds the result files of job ${other}, which this job would overwrite; pick another --out folder, or move that job's files away first`,
    { context: { flag: '--out', file: outDir } },
  );
}

async function reportJobId(outDir: string): Promise<string | undefined> {
  try {
    const report = JSON.parse(await readFile(join(outDir, RESULT_FILES.report), 'utf8')) as { job_id?: unknown };
    return typeof report.job_id === 'string' ? report.job_id : undefined;
  } catch {
    // No report (a fresh folder) or not ours: nothing of another job to protect.
    return undefined;
  }
}
