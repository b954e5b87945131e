import { createHash } from 'node:crypto';

import type { InputFingerprint } from '../core/job.ts';
import { InputError } from '../errors/index.ts';
import { createUnreadableError, openInputFile } from './open-input-file.ts';

const HEAD_BYTES = 64 * 1024;
const TAIL_BYTES = 64 * 1024;
const BLOCK_BYTES = 4 * 1024;
const BLOCK_COUNT = 32;
/** Files up to this size are hashed whole: sampling would read most of them anyway. */
const WHOLE_FILE_MAX_BYTES = HEAD_BYTES + TAIL_BYTES + BLOCK_COUNT * BLOCK_BYTES;
/** Bumped if the sampling ever changes, so old and new fingerprints never compare equal by accident. */
const SAMPLE_VERSION = 'batchpilot-input-sample-v1';

/** A `[start, end)` byte range of the file. */
export type ByteRange = readonly [start: number, end: number];

/**
 * The ranges the fingerprint hashes for a file of `size` bytes: the whole file when it is at
 * most 256 KB, else the first 64 KB, 32 blocks of 4 KB evenly spaced between, and the last 64 KB.
 */
export function fingerprintSampleRanges(size: number): ByteRange[] {
  if (size <= WHOLE_FILE_MAX_BYTES) return [[0, size]];
  const ranges: ByteRange[] = [[0, HEAD_BYTES]];
  const middleStart = HEAD_BYTES;
  const lastBlockStart = size - TAIL_BYTES - BLOCK_BYTES;
  for (let index = 0; index < BLOCK_COUNT; index++) {
    const start = middleStart + Math.floor((index * (lastBlockStart - middleStart)) / (BLOCK_COUNT - 1));
    ranges.push([start, start + BLOCK_BYTES]);
  }
  ranges.push([size - TAIL_BYTES, size]);
  return ranges;
}

/**
 * Fingerprint the input file cheaply enough to check on every resume: its size, mtime and a
 * sha256 of sampled blocks (about 260 KB read whatever the file's size). Catches truncation,
 * appends and most edits; an edit that keeps the size and misses every sampled block is caught
 * by the mtime (then the whole content is checked, see `checkInput`) and by the hash of every
 * line read again.
 */
export async function fingerprintInput(path: string): Promise<InputFingerprint> {
  const handle = await openInputFile(path);
  try {
    const { size, mtimeMs } = await handle.stat();
    const ranges = fingerprintSampleRanges(size);
    const blocks = await Promise.all(
      ranges.map(async ([start, end]) => {
        const buffer = Buffer.allocUnsafe(end - start);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
        return buffer.subarray(0, bytesRead);
      }),
    );
    const hash = createHash('sha256').update(`${SAMPLE_VERSION}\nsize=${size}\n`);
    for (const block of blocks) hash.update(block);
    return { size, sample: hash.digest('hex'), mtimeMs };
  } catch (error) {
    throw createUnreadableError(path, error);
  } finally {
    await handle.close();
  }
}

export interface AssertSameInputOptions {
  /** Named in the error message. */
  jobId?: string;
}

/**
 * Throw `InputError` `INPUT_CHANGED` unless the file still has the size and sampled blocks of the
 * fingerprint taken when the job started; returns the file's fingerprint now (with its mtime).
 */
export async function assertSameInput(
  path: string,
  expected: InputFingerprint,
  options: AssertSameInputOptions = {},
): Promise<InputFingerprint> {
  const actual = await fingerprintInput(path);
  if (actual.size === expected.size && actual.sample === expected.sample) return actual;
  const difference =
    actual.size === expected.size
      ? 'same size, different content'
      : `size was ${expected.size} bytes, now ${actual.size} bytes`;
  throw createInputChangedError(path, difference, options);
}

/** `INPUT_CHANGED` for `path`, saying how it differs. */
export function createInputChangedError(
  path: string,
  difference: string,
  options: AssertSameInputOptions = {},
): InputError {
  const job = options.jobId === undefined ? 'the job' : `job ${options.jobId}`;
  return new InputError(
    'INPUT_CHANGED',
    `input file ${path} changed since ${job} started (${difference}); run a new job, or restore the original file`,
    { context: options.jobId === undefined ? { file: path } : { file: path, jobId: options.jobId } },
  );
}
