import { resolve } from 'node:path';
import { NO_APPROVALS, type Approvals } from '../../plan/check-safety-caps.ts';
import { createStore } from '../../store/create-store.ts';
import { prepareResume } from '../prepare-resume.ts';
import type { JobResult } from './job-result.ts';
import { runCreatedJob } from './run-created-job.ts';
import type { RunControlOptions } from './run-options.ts';

export interface ResumeJobOptions extends RunControlOptions {
  /** The workspace folder the job was created in. */
  workspace: string;
  /**
   * A PostgreSQL database for the job's state, `postgres://user:password@host:port/database` (the CLI's `--store`);
   * the job's files are in `workspace`. Anything but a `postgres://` or `postgresql://` URL is `USAGE`.
   * @default the workspace's SQLite store (`<workspace>/state.db`)
   */
  storeUrl?: string;
  jobId: string;
  /** Run the failed items again too (succeeded ones are kept), as `batchpilot retry`. @default false */
  retryFailed?: boolean;
  /** Approvals for the safety caps, as the CLI's `--approve-*` flags. @default none */
  approvals?: Partial<Approvals>;
}

/**
 * Carries a created, interrupted or stopped job on where it stopped, with the config it was created with, as
 * `batchpilot resume` (or `retry`, with `retryFailed`) does. Items already answered are never sent again. Throws
 * `JOB_NOT_FOUND`, `INPUT_CHANGED` (the input file changed since), `JOB_LOCKED` (another live process runs it),
 * `API_KEY_MISSING`, and what `runJob` throws.
 */
export async function resumeJob(options: ResumeJobOptions): Promise<JobResult> {
  const workspace = resolve(options.workspace);
  const store = createStore({ workspace, url: options.storeUrl });
  try {
    const { job, config } = await prepareResume({
      workspace: workspace,
      store,
      jobId: options.jobId,
      env: options.env ?? process.env,
      flags: {},
      approvals: { ...NO_APPROVALS, ...options.approvals },
    });
    return await runCreatedJob({
      ...options,
      store,
      workspace,
      jobId: job.id,
      config,
      reopenFailed: options.retryFailed ?? false,
    });
  } finally {
    await store.close();
  }
}
