import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { createGunzip, createGzip } from 'node:zlib';
import type { AnswerReview } from '../engine/answer-review.ts';
import { InputError } from '../errors/index.ts';
import { MANIFEST_ROWS_FILE } from '../prep/manifest.ts';
import type { PromptSet } from '../prep/prompt-spec.ts';
import type { JobFileStore } from '../store/job-file-store.ts';
import { PROMPTS_SNAPSHOT_FILE } from './data-job-record.ts';
import { createDataReview, indexDataJob, indexReadsManifest } from './data-review.ts';
import { jobDirPath } from './job-paths.ts';

/** The manifest's rows as a worker reads them: gzip-compressed, since JSON rows compress several times over. */
const SHARED_MANIFEST_ROWS = `${MANIFEST_ROWS_FILE}.gz`;

/**
 * Puts in the shared store what a worker needs to check and re-ask a data job's answers (docs/decisions/0035): the
 * prompt snapshot, and the manifest's rows when the answers' index reads them. Both were frozen when the job was
 * prepared, so the manifest goes up once, whichever run (or resume) comes first.
 */
export async function shareDataJobFiles(
  store: JobFileStore,
  workspace: string,
  jobId: string,
  prompts: PromptSet,
): Promise<void> {
  await store.putJobFile(jobId, PROMPTS_SNAPSHOT_FILE, Buffer.from(JSON.stringify(prompts)));
  if (!indexReadsManifest(prompts) || (await store.hasJobFile(jobId, SHARED_MANIFEST_ROWS))) return;
  const path = join(jobDirPath(workspace, jobId), MANIFEST_ROWS_FILE);
  await store.putJobFile(jobId, SHARED_MANIFEST_ROWS, await buffer(createReadStream(path).pipe(createGzip())));
}

/** A data job's answer review, as a worker builds it from what the submitting process shared. */
export async function loadSharedDataReview(store: JobFileStore, jobId: string): Promise<AnswerReview> {
  const prompts = await store.getJobFile(jobId, PROMPTS_SNAPSHOT_FILE);
  if (prompts === undefined) throw notShared(jobId, PROMPTS_SNAPSHOT_FILE);
  const set = JSON.parse(prompts.toString('utf8')) as PromptSet;
  const index = await indexDataJob(set, async () => {
    const rows = await store.getJobFile(jobId, SHARED_MANIFEST_ROWS);
    if (rows === undefined) throw notShared(jobId, SHARED_MANIFEST_ROWS);
    return Readable.from([rows]).pipe(createGunzip());
  });
  return createDataReview(set, index);
}

function notShared(jobId: string, name: string): InputError {
  return new InputError(
    'INPUT_UNREADABLE',
    `job ${jobId}: its ${name} is not in the shared store; run "batchpilot resume ${jobId}" where the job was created, which puts it there`,
    { context: { jobId, file: name } },
  );
}
