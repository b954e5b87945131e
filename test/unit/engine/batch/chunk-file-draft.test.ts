import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ChunkFileDraft } from '../../../../src/engine/batch/chunk-file-draft.ts';
import { chunkFilePath } from '../../../../src/engine/batch/write-chunk-file.ts';

describe('ChunkFileDraft', () => {
  it('becomes the file of the chunk it is kept for, and only then', async () => {
    const workDir = await mkdtemp(join(tmpdir(), 'bp-draft-'));
    const draft = await ChunkFileDraft.open(workDir);
    await draft.writeLine('{"custom_id":"a"}');
    await draft.writeLine('{"custom_id":"b"}');
    assert.equal(existsSync(chunkFilePath(workDir, 7)), false);
    await draft.keep(7);
    assert.equal(await readFile(chunkFilePath(workDir, 7), 'utf8'), '{"custom_id":"a"}\n{"custom_id":"b"}\n');
    assert.deepEqual(await readdir(join(workDir, 'chunks')), ['chunk-00007.jsonl']);
  });

  it('leaves no file when discarded', async () => {
    const workDir = await mkdtemp(join(tmpdir(), 'bp-draft-'));
    const draft = await ChunkFileDraft.open(workDir);
    await draft.writeLine('{"custom_id":"a"}');
    await draft.discard();
    assert.deepEqual(await readdir(join(workDir, 'chunks')), []);
  });
});
