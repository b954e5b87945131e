import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { DataRowResult } from '../../../src/prep/data-row.ts';
import { countDataRows } from '../../../src/prep/count-data-rows.ts';
import { readDataRows, type ReadDataRowsOptions } from '../../../src/prep/read-data-rows.ts';
import { createTempWorkspace, type TempWorkspace } from '../../helpers/temp-workspace.ts';

/** Issue 12 section 1: every data format streams in as rows; a bad record is a reject naming where, the rest go on. */

async function readAll(path: string, options: ReadDataRowsOptions = {}): Promise<DataRowResult[]> {
  const results: DataRowResult[] = [];
  for await (const result of readDataRows(path, options)) results.push(result);
  return results;
}

function rows(results: DataRowResult[]): { index: number; key: string; row: Record<string, unknown> }[] {
  return results.flatMap((result) =>
    result.ok ? [{ index: result.value.index, key: result.value.key, row: result.value.row }] : [],
  );
}

function rejects(results: DataRowResult[]): { index: number; where: string }[] {
  return results.flatMap((result) => (result.ok ? [] : [{ index: result.reject.index, where: result.reject.where }]));
}

describe('readDataRows', () => {
  let temp: TempWorkspace;
  before(async () => {
    temp = await createTempWorkspace('batchpilot-prep-');
  });
  after(() => temp.remove());

  it('reads JSONL: blank lines skipped, a bad line is a reject naming its line, the 0-based index is the key', async () => {
    const path = await temp.write('a.jsonl', '{"t":"x"}\n\nnot json\n[1]\n{"t":"y","n":{"a":1}}\n');
    const results = await readAll(path);
    assert.deepEqual(rows(results), [
      { index: 0, key: '0', row: { t: 'x' } },
      { index: 3, key: '3', row: { t: 'y', n: { a: 1 } } },
    ]);
    assert.deepEqual(rejects(results), [
      { index: 1, where: 'line 3' },
      { index: 2, where: 'line 4' },
    ]);
    assert.equal(await countDataRows(path), 4);
  });

  it('reads gzipped JSONL and takes data.key as the key; a missing or repeated key is a reject', async () => {
    const text = ['{"id":"p1"}', '{"id":7}', '{"other":1}', '{"id":"p1"}'].join('\n');
    const path = temp.path('b.jsonl.gz');
    await writeFile(path, gzipSync(text));
    const results = await readAll(path, { key: 'id' });
    assert.deepEqual(
      rows(results).map((row) => row.key),
      ['p1', '7'],
    );
    assert.deepEqual(rejects(results), [
      { index: 2, where: 'line 3' },
      { index: 3, where: 'line 4' },
    ]);
  });

  it('streams a JSON array of objects; an element that is not an object is a reject naming its record', async () => {
    const path = await temp.write('c.json', ' [ {"a":"[,]"}, 5, {"b":{"c":[1,2]}} ] ');
    const results = await readAll(path);
    assert.deepEqual(rows(results), [
      { index: 0, key: '0', row: { a: '[,]' } },
      { index: 2, key: '2', row: { b: { c: [1, 2] } } },
    ]);
    assert.deepEqual(rejects(results), [{ index: 1, where: 'record 2' }]);
    assert.equal(await countDataRows(path), 3);
    assert.equal(await countDataRows(await temp.write('empty.json', '[]')), 0);
  });

  it('refuses a JSON document whose top level is an object, or that breaks off', async () => {
    const object = await temp.write('d.json', '{"a":{"b":1}}');
    await assert.rejects(readAll(object), { code: 'INPUT_UNREADABLE' });
    const broken = await temp.write('e.json', '[{"a":1}, {"b":');
    await assert.rejects(readAll(broken), { code: 'INPUT_UNREADABLE' });
  });

  it('reads CSV with a header row and quoted newlines; a record with the wrong column count is a reject', async () => {
    const csv = 'id,text\nr1,"two\nlines, and a comma"\nr2,plain\nr3,x,extra\nr4,"say ""hi"""\n';
    const path = await temp.write('f.csv', csv);
    const results = await readAll(path, { key: 'id' });
    assert.deepEqual(rows(results), [
      { index: 0, key: 'r1', row: { id: 'r1', text: 'two\nlines, and a comma' } },
      { index: 1, key: 'r2', row: { id: 'r2', text: 'plain' } },
      { index: 3, key: 'r4', row: { id: 'r4', text: 'say "hi"' } },
    ]);
    assert.equal(rejects(results).length, 1);
    assert.equal(rejects(results)[0]?.index, 2);
    assert.match(rejects(results)[0]?.where ?? '', /^record 3/);
  });

  it('reads Parquet row group by row group, INT64 as numbers', async () => {
    const ids = Array.from({ length: 7 }, (_, index) => `k${String(index)}`);
    const buffer = parquetWriteBuffer({
      columnData: [
        { name: 'id', data: ids, type: 'STRING' },
        { name: 'n', data: ids.map((_, index) => BigInt(index * 10)), type: 'INT64' },
        { name: 'score', data: ids.map((_, index) => index / 2), type: 'DOUBLE' },
      ],
      rowGroupSize: 3,
    });
    const path = temp.path('g.parquet');
    await writeFile(path, new Uint8Array(buffer));
    const results = await readAll(path, { key: 'id' });
    assert.deepEqual(rejects(results), []);
    assert.deepEqual(
      rows(results).map((row) => [row.index, row.key, row.row['n'], row.row['score']]),
      ids.map((id, index) => [index, id, index * 10, index / 2]),
    );
    assert.equal(await countDataRows(path), 7);
  });

  it('refuses an unknown extension unless data.format says what it is', async () => {
    const path = await temp.write('h.txt', '{"a":1}\n');
    await assert.rejects(readAll(path), { code: 'INPUT_UNREADABLE' });
    assert.equal(rows(await readAll(path, { format: 'jsonl' })).length, 1);
    await assert.rejects(readAll(temp.path('missing.jsonl')), { code: 'INPUT_UNREADABLE' });
  });
});
