import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { InputError } from '../../../src/errors/index.ts';
import type { RawLine } from '../../../src/input/raw-line.ts';
import { readJsonlLines } from '../../../src/input/read-jsonl-lines.ts';
import { createLineReader } from '../../../src/input/read-line-at.ts';
import { useTempDir } from './temp-dir.ts';

const temp = useTempDir();

const CONTENT = [
  '\uFEFF{"custom_id":"a","body":{"text":"héllo"}}',
  '{"custom_id":"b","body":{"text":"中文 😀"}}\r',
  '',
  `{"custom_id":"far","body":{"pad":"${'x'.repeat(200_000)}"}}`,
  '{"custom_id":"c","body":{}}',
  '{"custom_id":"last"}',
].join('\n');

async function readAll(path: string): Promise<RawLine[]> {
  const lines: RawLine[] = [];
  for await (const line of readJsonlLines(path, { maxLineBytes: 1_000_000 })) lines.push(line);
  return lines;
}

describe('createLineReader', () => {
  it('reads back exactly the text the streaming reader yielded, one line at a time', async () => {
    const path = await temp.write('lines.jsonl', CONTENT);
    const lines = await readAll(path);
    const reader = await createLineReader(path);
    try {
      for (const line of lines) assert.equal(await reader.read(line.byteOffset, line.byteLength), line.text);
    } finally {
      await reader.close();
    }
  });

  it('reads many lines in the order asked, across far-apart groups', async () => {
    const path = await temp.write('many.jsonl', CONTENT);
    const lines = await readAll(path);
    const shuffled = [lines[4]!, lines[0]!, lines[5]!, lines[2]!, lines[1]!, lines[3]!, lines[0]!];
    const reader = await createLineReader(path);
    try {
      assert.deepEqual(
        await reader.readMany(shuffled),
        shuffled.map((line) => line.text),
      );
      assert.deepEqual(await reader.readMany([]), []);
    } finally {
      await reader.close();
    }
  });

  it('fails with INPUT_CHANGED when the file is now shorter than the line', async () => {
    const path = await temp.write('short.jsonl', '{"a":1}\n');
    const reader = await createLineReader(path);
    try {
      await assert.rejects(reader.read(4, 100), (error: unknown) => {
        assert.ok(error instanceof InputError);
        assert.equal(error.code, 'INPUT_CHANGED');
        return true;
      });
      await assert.rejects(
        reader.readMany([
          { byteOffset: 0, byteLength: 7 },
          { byteOffset: 8, byteLength: 5 },
        ]),
        {
          code: 'INPUT_CHANGED',
        },
      );
    } finally {
      await reader.close();
    }
  });

  it('fails with INPUT_UNREADABLE when the file cannot be opened', async () => {
    await assert.rejects(createLineReader(temp.path('missing.jsonl')), { code: 'INPUT_UNREADABLE' });
  });
});
