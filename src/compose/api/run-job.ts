import { resolve } from 'node:path';
import { createJobId } from '../../core/job-id.ts';
import { NO_APPROVALS } from '../../plan/check-safety-caps.ts';
import { createStore } from '../../store/create-store.ts';
import { checkJobId } from '../check-job-id.ts';
import { findJobToResume } from '../find-job-to-resume.ts';
import { prepareResume } from '../prepare-resume.ts';
import { createLibraryJob, jobSourceOf, resolveLibraryConfig, type CreateJobOptions } from './create-job.ts';
import type { JobResult } from './job-result.ts';
import { runCreatedJob } from './run-created-job.ts';
import type { RunControlOptions } from './run-options.ts';

export interface RunJobOptions extends CreateJobOptions, RunControlOptions {}

/**
 * Creates a job and runs it to its end in this process, as `batchpilot run` does, and returns its result (the files
 * are written). With the `jobId` of a job that exists and was created from the same input, that job is carried on
 * with the config it was created with, as `run --job` does; another input under that id is refused (`USAGE`).
 *
 * Never prints, never exits the process and installs no signal handler: the job's log (`<workspace>/jobs/<id>/job.log`)
 * has the details, `onProgress` the figures, `signal` stops it (outcome `interrupted`, resumable). Throws the typed
 * errors the CLI prints (`BatchpilotError` and its subclasses, with the same `code`s): the ones of `createJob`, and
 * `AUTH_FAILED`, `ENDPOINT_UNREACHABLE`, `JOB_LOCKED`, `INPUT_CHANGED`, `DISK_FULL`, `STORE_CORRUPT`.
 *
 * @example
 * const result = await runJob({
 *   input: 'requests.jsonl',
 *   workspace: '.batchpilot',
 *   config: { base_url: 'http://127.0.0.1:8000/v1', model: 'gpt-4o-mini', concurrency: 16 },
 * });
 * console.log(result.outcome, result.counts.succeeded, result.files.output);
 */
export async function runJob(options: RunJobOptions): Promise<JobResult> {
  const workspace = resolve(options.workspace);
  if (options.jobId !== undefined) checkJobId(options.jobId);
  const source = await jobSourceOf(options);
  const env = options.env ?? process.env;
  const store = createStore({ workspace, url: options.storeUrl });
  try {
    const existing =
      options.jobId === undefined
        ? undefined
        : await findJobToResume(
            store,
            workspace,
            options.jobId,
            source.kind === 'data' ? { kind: 'file', path: source.dataPath } : source.input,
          );
    if (existing !== undefined) {
      const { config } = await prepareResume({
        workspace: workspace,
        store,
        jobId: existing.job.id,
        env,
        flags: {},
        approvals: { ...NO_APPROVALS, ...options.approvals },
      });
      return await runCreatedJob({ ...options, store, workspace, jobId: existing.job.id, config });
    }
    const loaded = resolveLibraryConfig(options);
    const jobId = options.jobId ?? createJobId();
    await createLibraryJob(store, { ...options, workspace, jobId }, loaded, source);
    return await runCreatedJob({ ...options, store, workspace, jobId, config: loaded.config });
  } finally {
    await store.close();
  }
}
