import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BatchpilotError } from '../../errors/index.ts';
import type { JobReport } from '../../output/build-report.ts';
import type { IntegrationReport } from '../../output/integration-report.ts';
import { RESULT_FILES } from '../../output/result-file-names.ts';
import { createStore } from '../../store/create-store.ts';
import { jobNotFound } from '../../store/require-job.ts';
import { collectJob as collectStoredJob } from '../collect-job.ts';
import type { JobFiles } from './job-result.ts';

export interface CollectJobOptions {
  jobId: string;
  /**
   * The folder to write every file into (the CLI's `--out DIR`), made if missing.
   * @default where the job's run writes each file (its out folder; a data job's dataset in its job folder)
   */
  out?: string;
  /**
   * A PostgreSQL database holding the job's state, `postgres://user:password@host:port/database` (the CLI's
   * `--store`). A data job's join-back also needs its job folder under `workspace` and its data file.
   * @default the workspace's SQLite store (`<workspace>/state.db`)
   */
  storeUrl?: string;
  /** The workspace folder the job was created in. It is never created. @default `.batchpilot` */
  workspace?: string;
}

/** What `collectJob` wrote. */
export interface CollectedJobResult {
  jobId: string;
  /** The job's state as `batchpilot status` shows it (`running`, `interrupted`, `completed`, ...). */
  state: string;
  /**
   * Whether the job had ended (completed, failed or cancelled): the files are the ones its run wrote. Otherwise they
   * hold what is settled so far, and `missing` lists the rest.
   */
  ended: boolean;
  files: JobFiles;
  /** report.json as written. */
  report: JobReport;
  /** A data job joined back: its integration report (the dataset is at `report.files.enriched`) and summary. */
  integration?: { report: IntegrationReport; summary: string[] };
  /**
   * A data job whose join-back could not be done here (`INPUT_UNREADABLE`): its job folder or data file is not on this
   * machine; the message names the file and the fix. The result files were written all the same.
   */
  joinBackError?: BatchpilotError;
}

/**
 * Writes a job's result files and report.json (and a data job's enriched dataset and integration report) from what
 * its store holds, as `batchpilot collect` does: for a job that ended, the files its run wrote; for one still running
 * or interrupted, what is settled so far. Reads the store only: the job's state, lease and items are left as they
 * are, and nothing is sent. Throws `JOB_NOT_FOUND`, `OUT_DIR_IN_USE` (`out` holds another job's files),
 * `OUT_DIR_UNWRITABLE`, and `INPUT_UNREADABLE` when items with no result need the input file and it is not here.
 */
export async function collectJob(options: CollectJobOptions): Promise<CollectedJobResult> {
  const workspace = resolve(options.workspace ?? '.batchpilot');
  // Opening the SQLite store would make an empty workspace where there is none, and no job in it.
  if (options.storeUrl === undefined && !existsSync(workspace)) throw jobNotFound(options.jobId, workspace);
  const store = createStore({ workspace, url: options.storeUrl });
  try {
    const collected = await collectStoredJob({ store, workspace, jobId: options.jobId, out: options.out });
    const { outDir } = collected;
    return {
      jobId: collected.job.id,
      state: collected.state,
      ended: collected.ended,
      files: {
        output: join(outDir, RESULT_FILES.output),
        errors: join(outDir, RESULT_FILES.errors),
        missing: join(outDir, RESULT_FILES.missing),
        rejects: join(outDir, RESULT_FILES.rejects),
        report: join(outDir, RESULT_FILES.report),
      },
      report: collected.report,
      ...(collected.integration === undefined
        ? {}
        : { integration: { report: collected.integration.report, summary: collected.integration.summary } }),
      ...(collected.joinBackError === undefined ? {} : { joinBackError: collected.joinBackError }),
    };
  } finally {
    await store.close();
  }
}
