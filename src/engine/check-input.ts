import type { ItemLocation } from '../core/item.ts';
import type { Job } from '../core/job.ts';
import { assertSameInput, createInputChangedError } from '../input/fingerprint-input.ts';
import { hashInputFile } from '../input/hash-input-file.ts';
import { createLineReader } from '../input/read-line-at.ts';
import type { ItemStore, JobStore } from '../store/store.ts';

const VERIFY_PAGE = 4096;

/**
 * What every run of a job checks of its input before anything is sent (docs/decisions/0010):
 *
 * 1. Always: size and sampled blocks (about 260 KB read), and the mtime.
 * 2. Only when the mtime moved since the job was created: the whole content. Against the
 *    sha256 the first read took of the whole file when it has one; else (the first read never
 *    reached the end in one go) every item's line read so far against its line hash. Once it
 *    passes, the new mtime is recorded, so the next resume is quick again.
 * 3. Besides, every line re-read later (unfinished items, missing_records.jsonl, batch chunk
 *    files) is checked against its line hash (see `createLineReader`): an edited line is never
 *    sent under its old id, even when the mtime was put back.
 *
 * Fails with `InputError` `INPUT_CHANGED`.
 */
export async function checkInput(store: JobStore & ItemStore, job: Job): Promise<void> {
  const path = job.inputPath;
  const expected = job.inputFingerprint;
  const actual = await assertSameInput(path, expected, { jobId: job.id });
  if (expected.mtimeMs === undefined || expected.mtimeMs === null || actual.mtimeMs === expected.mtimeMs) return;
  if (expected.sha256 !== undefined && expected.sha256 !== null) {
    if ((await hashInputFile(path)) !== expected.sha256) {
      throw createInputChangedError(path, 'same size, different content', { jobId: job.id });
    }
  } else {
    await verifyReadLines(store, job);
  }
  if (actual.mtimeMs !== undefined && actual.mtimeMs !== null) await store.setInputMtime(job.id, actual.mtimeMs);
}

/** Every item's line, read again in file order, against the hash it was read with. */
async function verifyReadLines(store: ItemStore, job: Job): Promise<void> {
  const reader = await createLineReader(job.inputPath);
  try {
    let page: ItemLocation[] = [];
    for await (const item of store.iterateLocations(job.id)) {
      page.push(item);
      if (page.length < VERIFY_PAGE) continue;
      await reader.readMany(page);
      page = [];
    }
    if (page.length > 0) await reader.readMany(page);
  } finally {
    await reader.close();
  }
}
