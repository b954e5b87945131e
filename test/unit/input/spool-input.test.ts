import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { spoolInput, spoolReason } from '../../../src/input/spool-input.ts';
import { useTempDir } from './temp-dir.ts';

/** Which inputs are copied into the job folder, and how the copy behaves when stopped or given bad gzip. */

describe('spoolReason / spoolInput', () => {
  const temp = useTempDir();

  it('copies stdin, .gz and /dev paths; never a regular file', async () => {
    const file = await temp.write('plain.jsonl', '{}\n');
    assert.equal(await spoolReason('-'), 'stdin');
    assert.equal(await spoolReason(await temp.write('data.jsonl.gz', gzipSync('{}\n'))), 'gzip');
    assert.equal(await spoolReason('/dev/stdin'), 'stream');
    assert.equal(await spoolReason(file), null);
    assert.equal(await spoolReason(temp.path('missing.jsonl')), null, 'left to the regular open to report');
  });

  it('decompresses a .gz input into the target', async () => {
    const gz = await temp.write('in.jsonl.gz', gzipSync('{"a":1}\n{"a":2}\n'));
    const target = temp.path('job-gz/input.jsonl');
    const { bytes } = await spoolInput({ input: gz, target, signal: new AbortController().signal });
    assert.equal(await readFile(target, 'utf8'), '{"a":1}\n{"a":2}\n');
    assert.equal(bytes, 16);
  });

  it('refuses a .gz file that is not gzip with INPUT_UNREADABLE, leaving nothing', async () => {
    const bad = await temp.write('bad.jsonl.gz', 'not gzip at all');
    const target = temp.path('job-bad/input.jsonl');
    await assert.rejects(spoolInput({ input: bad, target, signal: new AbortController().signal }), {
      code: 'INPUT_UNREADABLE',
    });
    assert.equal(existsSync(temp.path('job-bad')), false);
  });

  it('stops on the signal with INTERRUPTED and removes the partial copy', async () => {
    const stdin = new PassThrough();
    stdin.write('{"a":1}\n');
    const stop = new AbortController();
    const target = temp.path('job-stop/input.jsonl');
    const copying = spoolInput({ input: '-', target, signal: stop.signal, stdin });
    setImmediate(() => stop.abort());
    await assert.rejects(copying, { code: 'INTERRUPTED' });
    assert.equal(existsSync(temp.path('job-stop')), false);
  });
});
