import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { LineSplitter } from '../../../src/input/line-splitter.ts';
import type { RawLine } from '../../../src/input/raw-line.ts';
import {
  readJsonlLineBatches,
  readJsonlLines,
  type ReadJsonlLinesOptions,
} from '../../../src/input/read-jsonl-lines.ts';
import { InputError } from '../../../src/errors/index.ts';
import { useTempDir } from './temp-dir.ts';

const temp = useTempDir();
const CHUNK_SIZES = [1, 2, 3, 7, 64, 1024 * 1024];

async function collect(path: string, options: ReadJsonlLinesOptions): Promise<RawLine[]> {
  const lines: RawLine[] = [];
  for await (const line of readJsonlLines(path, options)) lines.push(line);
  return lines;
}

/** What the reader must yield, worked out independently with Buffer.indexOf. */
function expectedLines(bytes: Buffer, maxLineBytes = Infinity): RawLine[] {
  const lines: RawLine[] = [];
  let start = 0;
  while (start < bytes.length) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline === -1 ? bytes.length : newline;
    let contentStart = start;
    let contentEnd = end;
    if (contentEnd > contentStart && bytes[contentEnd - 1] === 0x0d) contentEnd--;
    if (start === 0 && bytes.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))) contentStart = 3;
    const byteLength = contentEnd - contentStart;
    const nextByte = newline === -1 ? bytes.length : newline + 1;
    const lineNo = lines.length + 1;
    if (byteLength > maxLineBytes) {
      lines.push({ lineNo, byteOffset: contentStart, byteLength, text: null, head: '', nextByte });
    } else {
      const text = bytes.toString('utf8', contentStart, contentEnd);
      lines.push({ lineNo, byteOffset: contentStart, byteLength, text, nextByte });
    }
    start = nextByte;
  }
  return lines;
}

function withoutHead(lines: RawLine[]): Omit<RawLine, 'head'>[] {
  return lines.map(({ head: _head, ...rest }) => rest);
}

const MIXED = Buffer.from(
  [
    '{"custom_id":"a","body":{}}',
    '{"text":"héllo wörld"}\r',
    '',
    '{"text":"中文字符 and 😀 emoji"}',
    '   ',
    '\r',
    '{"text":"ascii only, a bit longer than the others to cross boundaries"}',
    '{"last":"no newline 😀"}',
  ].join('\n'),
  'utf8',
);

describe('readJsonlLines', () => {
  it('yields exact byte offsets, lengths and text for ASCII, multibyte, CRLF and blank lines at any chunk size', async () => {
    const path = await temp.write('mixed.jsonl', MIXED);
    const expected = expectedLines(MIXED);
    assert.equal(expected.length, 8);
    for (const highWaterMark of CHUNK_SIZES) {
      const lines = await collect(path, { maxLineBytes: 1000, highWaterMark });
      assert.deepEqual(lines, expected, `highWaterMark ${highWaterMark}`);
    }
  });

  it('checks offsets against the bytes: each line re-read from its offset is its text', async () => {
    const path = await temp.write('mixed-offsets.jsonl', MIXED);
    for (const line of await collect(path, { maxLineBytes: 1000, highWaterMark: 7 })) {
      assert.equal(MIXED.toString('utf8', line.byteOffset, line.byteOffset + line.byteLength), line.text);
      assert.ok(line.nextByte === MIXED.length || MIXED[line.nextByte - 1] === 0x0a);
    }
  });

  it('strips a UTF-8 BOM from the first line only, and leaves it out of the offset', async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const bytes = Buffer.concat([bom, Buffer.from('{"a":1}\n'), bom, Buffer.from('{"b":2}\n')]);
    const path = await temp.write('bom.jsonl', bytes);
    for (const highWaterMark of CHUNK_SIZES) {
      const lines = await collect(path, { maxLineBytes: 1000, highWaterMark });
      assert.deepEqual(lines[0], { lineNo: 1, byteOffset: 3, byteLength: 7, text: '{"a":1}', nextByte: 11 });
      assert.equal(lines[1]?.text, '\uFEFF{"b":2}');
      assert.equal(lines[1]?.byteOffset, 11);
    }
  });

  it('yields nothing for an empty file, and one blank line for a lone newline', async () => {
    assert.deepEqual(await collect(await temp.write('empty.jsonl', ''), { maxLineBytes: 10 }), []);
    assert.deepEqual(await collect(await temp.write('newline.jsonl', '\n'), { maxLineBytes: 10 }), [
      { lineNo: 1, byteOffset: 0, byteLength: 0, text: '', nextByte: 1 },
    ]);
    assert.deepEqual(await collect(await temp.write('crlf.jsonl', '\r\n'), { maxLineBytes: 10 }), [
      { lineNo: 1, byteOffset: 0, byteLength: 0, text: '', nextByte: 2 },
    ]);
  });

  it('yields an over-limit line with text null, its head and exact length, then the next line intact', async () => {
    const long = `{"pad":"${'é'.repeat(5000)}"}`;
    const bytes = Buffer.from(`{"a":1}\n${long}\r\n{"b":2}\n${long}`, 'utf8');
    const path = await temp.write('long.jsonl', bytes);
    const expected = expectedLines(bytes, 100);
    for (const highWaterMark of CHUNK_SIZES) {
      const lines = await collect(path, { maxLineBytes: 100, highWaterMark });
      assert.deepEqual(withoutHead(lines), withoutHead(expected), `highWaterMark ${highWaterMark}`);
      for (const line of [lines[1]!, lines[3]!]) {
        assert.equal(line.text, null);
        assert.equal(line.byteLength, Buffer.byteLength(long));
        assert.ok(long.startsWith(line.head!), 'head is the start of the line');
        assert.ok(Buffer.byteLength(line.head!) <= 1024 && Buffer.byteLength(line.head!) >= 1022);
      }
    }
  });

  it('keeps a line of exactly maxLineBytes (even with \\r\\n or a BOM) and skips one byte more', async () => {
    const bytes = Buffer.from('\uFEFF12345\r\n123456\r\n12345\n123456', 'utf8');
    const path = await temp.write('edge.jsonl', bytes);
    for (const highWaterMark of CHUNK_SIZES) {
      const lines = await collect(path, { maxLineBytes: 5, highWaterMark });
      assert.deepEqual(
        lines.map((line) => [line.text, line.byteLength]),
        [
          ['12345', 5],
          [null, 6],
          ['12345', 5],
          [null, 6],
        ],
        `highWaterMark ${highWaterMark}`,
      );
    }
  });

  it('skips an over-limit first line that starts with a BOM, leaving the BOM out of offset, length and head', async () => {
    const bytes = Buffer.from(`\uFEFF{"pad":"${'x'.repeat(2000)}"}\r\n{}`, 'utf8');
    const path = await temp.write('bom-long.jsonl', bytes);
    for (const highWaterMark of CHUNK_SIZES) {
      const [first, second] = await collect(path, { maxLineBytes: 100, highWaterMark });
      assert.deepEqual(
        { ...first, head: first?.head?.slice(0, 8) },
        { lineNo: 1, byteOffset: 3, byteLength: 2010, text: null, head: '{"pad":"', nextByte: 2015 },
      );
      assert.equal(Buffer.byteLength(first!.head!), 1024);
      assert.deepEqual(second, { lineNo: 2, byteOffset: 2015, byteLength: 2, text: '{}', nextByte: 2017 });
    }
  });

  it('resumes from startByte and startLine with the same lines as a full read', async () => {
    const path = await temp.write('resume.jsonl', MIXED);
    const all = await collect(path, { maxLineBytes: 1000 });
    for (const index of [1, 3, 5, all.length - 1]) {
      const previous = all[index - 1]!;
      for (const highWaterMark of [3, 1024 * 1024]) {
        const rest = await collect(path, {
          maxLineBytes: 1000,
          highWaterMark,
          startByte: previous.nextByte,
          startLine: previous.lineNo,
        });
        assert.deepEqual(rest, all.slice(index));
      }
    }
    assert.deepEqual(await collect(path, { maxLineBytes: 1000, startByte: MIXED.length, startLine: 8 }), []);
  });

  it('yields the same lines in batches', async () => {
    const path = await temp.write('batches.jsonl', MIXED);
    const batches: RawLine[][] = [];
    for await (const batch of readJsonlLineBatches(path, { maxLineBytes: 1000, highWaterMark: 16 }))
      batches.push(batch);
    assert.ok(batches.length > 1);
    assert.deepEqual(batches.flat(), expectedLines(MIXED));
  });

  it('fails with INPUT_UNREADABLE for a missing file or a directory', async () => {
    for (const path of [temp.path('missing.jsonl'), temp.path('')]) {
      await assert.rejects(collect(path, { maxLineBytes: 10 }), (error: unknown) => {
        assert.ok(error instanceof InputError);
        assert.equal(error.code, 'INPUT_UNREADABLE');
        assert.equal(error.context.file, path);
        return true;
      });
    }
  });

  it('stops with the abort reason when the signal is aborted', async () => {
    const path = await temp.write('abort.jsonl', MIXED);
    const controller = new AbortController();
    const lines: RawLine[] = [];
    await assert.rejects(
      (async () => {
        for await (const line of readJsonlLines(path, {
          maxLineBytes: 1000,
          highWaterMark: 8,
          signal: controller.signal,
        })) {
          lines.push(line);
          controller.abort();
        }
      })(),
      { name: 'AbortError' },
    );
    assert.ok(lines.length >= 1 && lines.length < 8);
  });

  it('rejects option values that make no sense', async () => {
    const path = await temp.write('options.jsonl', MIXED);
    await assert.rejects(collect(path, { maxLineBytes: 0 }), RangeError);
    await assert.rejects(collect(path, { maxLineBytes: 10, startByte: -1 }), RangeError);
  });
});

describe('LineSplitter', () => {
  it('never holds more than maxLineBytes plus a few bytes of an over-long line', () => {
    const splitter = new LineSplitter({ startByte: 0, startLine: 0, maxLineBytes: 50 });
    const lines: RawLine[] = [];
    const piece = Buffer.alloc(1000, 'x');
    for (let index = 0; index < 100; index++) {
      splitter.push(piece, lines);
      assert.ok(splitter.heldBytes <= 54, `held ${splitter.heldBytes} bytes`);
    }
    splitter.push(Buffer.from('\n{}\n'), lines);
    assert.deepEqual(withoutHead(lines), [
      { lineNo: 1, byteOffset: 0, byteLength: 100_000, text: null, nextByte: 100_001 },
      { lineNo: 2, byteOffset: 100_001, byteLength: 2, text: '{}', nextByte: 100_004 },
    ]);
    assert.equal(lines[0]?.head, 'x'.repeat(1024));
    assert.equal(splitter.end(), undefined);
  });
});
