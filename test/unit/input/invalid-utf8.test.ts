import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { findInvalidUtf8 } from '../../../src/input/find-invalid-utf8.ts';
import { createLineParser } from '../../../src/input/parse-input-line.ts';
import { readJsonlLines, type RawLine } from '../../../src/input/read-jsonl-lines.ts';
import { useTempDir } from './temp-dir.ts';

const temp = useTempDir();

function batchLine(customId: string, content: string): Buffer {
  const head = `{"custom_id":"${customId}","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"`;
  return Buffer.concat([Buffer.from(head), Buffer.from(content, 'latin1'), Buffer.from('"}]}}\n')]);
}

async function readAll(path: string, highWaterMark?: number): Promise<RawLine[]> {
  const lines: RawLine[] = [];
  const options = highWaterMark === undefined ? { maxLineBytes: 4096 } : { maxLineBytes: 4096, highWaterMark };
  for await (const line of readJsonlLines(path, options)) lines.push(line);
  return lines;
}

describe('invalid UTF-8 in an input line', () => {
  it('is rejected with a reason naming the bad byte, not sent with U+FFFD in its place', async () => {
    // Line 2 holds a lone 0xE9 (latin-1 "é"); lines 1 and 3 are valid, line 3 with a real multibyte character.
    const path = await temp.write(
      'bad.jsonl',
      Buffer.concat([
        batchLine('a', 'ok'),
        batchLine('b', 'caf\xe9'),
        Buffer.from(batchLine('c', '').toString().replace('""', '"caf\u00e9"')),
      ]),
    );
    for (const highWaterMark of [undefined, 7]) {
      const parser = createLineParser({
        format: 'auto',
        messagesKey: 'messages',
        defaults: { request: {}, extraBody: {} },
      });
      const outcomes = (await readAll(path, highWaterMark)).map((line) => parser.parse(line));
      assert.deepEqual(
        outcomes.map((outcome) => outcome.ok),
        [true, false, true],
        `chunk size ${String(highWaterMark)}`,
      );
      const rejected = outcomes[1];
      assert.ok(rejected !== undefined && !rejected.ok);
      assert.equal(rejected.reject.line, 2);
      assert.match(rejected.reject.reason, /UTF-8/);
    }
  });

  it('findInvalidUtf8 finds the first bad byte and accepts every well-formed sequence', () => {
    assert.equal(findInvalidUtf8(Buffer.from('plain é 中 😀', 'utf8')), -1);
    assert.equal(findInvalidUtf8(Buffer.from([0x61, 0xe9, 0x62])), 1); // lone lead byte
    assert.equal(findInvalidUtf8(Buffer.from([0x80])), 0); // lone continuation byte
    assert.equal(findInvalidUtf8(Buffer.from([0x61, 0xc0, 0xaf])), 1); // overlong "/"
    assert.equal(findInvalidUtf8(Buffer.from([0xed, 0xa0, 0x80])), 0); // UTF-16 surrogate
    assert.equal(findInvalidUtf8(Buffer.from([0xf4, 0x90, 0x80, 0x80])), 0); // above U+10FFFF
    assert.equal(findInvalidUtf8(Buffer.from([0x61, 0x62, 0xe4, 0xb8])), 2); // cut at the end
  });
});
