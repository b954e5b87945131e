import assert from 'node:assert/strict';
import { open } from 'node:fs/promises';
import { describe, it } from 'node:test';

import { InputError } from '../../../src/errors/index.ts';
import { assertSameInput, fingerprintInput, fingerprintSampleRanges } from '../../../src/input/fingerprint-input.ts';
import { useTempDir } from './temp-dir.ts';

const temp = useTempDir();

async function overwriteByte(path: string, position: number, value: number): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.write(Buffer.from([value]), 0, 1, position);
  } finally {
    await handle.close();
  }
}

function content(size: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let index = 0; index < size; index++) bytes[index] = 32 + ((index * 31) % 90);
  return bytes;
}

describe('fingerprintInput', () => {
  it('is stable for the same file and records its size', async () => {
    const path = await temp.write('stable.jsonl', content(1000));
    const first = await fingerprintInput(path);
    assert.equal(first.size, 1000);
    assert.match(first.sample, /^[0-9a-f]{64}$/);
    assert.deepEqual(await fingerprintInput(path), first);
  });

  it('changes when a byte in the middle of a small file changes, or the size changes', async () => {
    const path = await temp.write('small.jsonl', content(10_000));
    const before = await fingerprintInput(path);
    await overwriteByte(path, 5000, 0x21);
    const edited = await fingerprintInput(path);
    assert.equal(edited.size, before.size);
    assert.notEqual(edited.sample, before.sample);
    await temp.write('small.jsonl', content(10_001));
    assert.notEqual((await fingerprintInput(path)).sample, before.sample);
  });

  it('samples a large file: head, 32 evenly spaced blocks, tail; a change in any sampled block shows', async () => {
    const size = 3 * 1024 * 1024 + 17;
    const ranges = fingerprintSampleRanges(size);
    assert.equal(ranges.length, 34);
    assert.deepEqual(ranges[0], [0, 65_536]);
    assert.deepEqual(ranges.at(-1), [size - 65_536, size]);
    for (let index = 1; index < ranges.length; index++) assert.ok(ranges[index]![0] >= ranges[index - 1]![1]);

    const path = await temp.write('large.jsonl', content(size));
    const before = await fingerprintInput(path);
    const middleBlock = ranges[16]!;
    await overwriteByte(path, middleBlock[0] + 100, 0x21);
    assert.notEqual((await fingerprintInput(path)).sample, before.sample);
  });

  it('hashes small files whole', () => {
    assert.deepEqual(fingerprintSampleRanges(0), [[0, 0]]);
    assert.deepEqual(fingerprintSampleRanges(262_144), [[0, 262_144]]);
    assert.equal(fingerprintSampleRanges(262_145).length, 34);
  });

  it('fails with INPUT_UNREADABLE for a missing file', async () => {
    await assert.rejects(fingerprintInput(temp.path('missing.jsonl')), { code: 'INPUT_UNREADABLE' });
  });
});

describe('assertSameInput', () => {
  it('passes for an unchanged file and fails with INPUT_CHANGED naming the job otherwise', async () => {
    const path = await temp.write('job.jsonl', content(5000));
    const fingerprint = await fingerprintInput(path);
    await assertSameInput(path, fingerprint, { jobId: 'job-1' });
    await temp.write('job.jsonl', content(4000));
    await assert.rejects(assertSameInput(path, fingerprint, { jobId: 'job-1' }), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.equal(error.code, 'INPUT_CHANGED');
      assert.deepEqual(error.context, { file: path, jobId: 'job-1' });
      return true;
    });
    await assert.rejects(assertSameInput(path, { size: 4000, sample: '0'.repeat(64) }), { code: 'INPUT_CHANGED' });
  });
});
