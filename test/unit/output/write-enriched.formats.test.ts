import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { asyncBufferFromFile, parquetReadObjects, parquetSchema, parquetMetadataAsync } from 'hyparquet';

import { lookupInMap } from '../../../src/output/answer-record.ts';
import { resolveEnrichedTarget, writeEnriched } from '../../../src/output/write-enriched.ts';
import { createEnrichFixture, enrichOptions, iterate, type EnrichFixture } from './enrich-fixture.ts';

/** CSV as arrays of cells, header first. */
function readCsvLines(bytes: Buffer): string[][] {
  const lines: unknown = parse(bytes);
  return lines as string[][];
}

/** A fixture whose first row's text has what CSV must quote: a comma, a quote and a line break. */
function trickyFixture(): EnrichFixture {
  const fixture = createEnrichFixture();
  fixture.rows[0] = { ...fixture.rows[0]!, row: { ...fixture.rows[0]!.row, text: 'he said, "hi"\nthen left' } };
  return fixture;
}

describe('writeEnriched: each output format read back', () => {
  let folder = '';
  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'batchpilot-enriched-formats-'));
  });
  after(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('json: one array, the same rows as jsonl', async () => {
    const jsonl = join(folder, 'rows.jsonl');
    const json = join(folder, 'rows.json');
    await writeEnriched(enrichOptions(trickyFixture(), jsonl, {}));
    await writeEnriched(enrichOptions(trickyFixture(), json, { format: 'json' }));
    const lines = (await readFile(jsonl, 'utf8')).trim().split('\n');
    assert.deepEqual(
      JSON.parse(await readFile(json, 'utf8')),
      lines.map((line) => JSON.parse(line) as unknown),
    );
  });

  it('json: an empty dataset is an empty array', async () => {
    const json = join(folder, 'empty.json');
    const empty: EnrichFixture = { prompts: [], rows: [], manifest: [], answers: new Map() };
    await writeEnriched(enrichOptions(empty, json, { format: 'json' }));
    assert.deepEqual(JSON.parse(await readFile(json, 'utf8')), []);
  });

  it('csv: a header of every column, nested values as JSON text, quoted newlines kept', async () => {
    const out = join(folder, 'rows.csv');
    await writeEnriched(enrichOptions(trickyFixture(), out, { format: 'csv' }));
    const records = parse<Record<string, string>>(await readFile(out), { columns: true });
    assert.equal(records.length, 5);
    assert.equal(records[0]!['text'], 'he said, "hi"\nthen left');
    assert.deepEqual(JSON.parse(records[0]!['user']!), { name: 'u0', lang: 'zh' });
    assert.deepEqual(JSON.parse(records[0]!['sentiment']!), { polarity: 'positive', score: 0.9 });
    assert.equal(records[2]!['sentiment'], '');
    assert.equal(records[2]!['sentiment__status'], 'invalid');
    assert.deepEqual(JSON.parse(records[1]!['labels__status']!), ['valid', 'missing']);
    assert.deepEqual(
      records.map((record) => record['topic__status']),
      ['valid', 'valid', 'valid', 'skipped', 'rejected'],
    );
  });

  it('csv flat: columns are the union over all rows, in the order first met', async () => {
    const out = join(folder, 'flat.csv');
    await writeEnriched(enrichOptions(createEnrichFixture(), out, { format: 'csv', fields: 'flat' }));
    const [header, ...rows] = readCsvLines(await readFile(out));
    assert.deepEqual(header!.slice(0, 6), [
      'id',
      'text',
      'user.name',
      'user.lang',
      'sentiment.polarity',
      'sentiment.score',
    ]);
    const score = header!.indexOf('sentiment.score');
    assert.deepEqual(
      rows.map((row) => row[score]),
      ['0.9', '0.1', '', '', ''],
    );
  });

  it('parquet: typed columns (text, whole numbers, JSON), read back with hyparquet', async () => {
    const fixture = createEnrichFixture();
    fixture.rows = fixture.rows.map((row) => ({ ...row, row: { ...row.row, likes: row.index * 10 } }));
    const out = join(folder, 'rows.parquet');
    await writeEnriched(enrichOptions(fixture, out, { format: 'parquet', meta: true }));
    const file = await asyncBufferFromFile(out);
    const records = await parquetReadObjects({ file });
    assert.equal(records.length, 5);
    assert.equal(records[0]!['id'], 'post-0');
    assert.equal(records[3]!['likes'], 30n);
    assert.deepEqual(records[0]!['user'], { name: 'u0', lang: 'zh' });
    assert.deepEqual(records[1]!['sentiment'], { polarity: 'negative', score: 0.1 });
    assert.equal(records[2]!['sentiment'], null);
    assert.equal(records[4]!['topic__status'], 'rejected');
    assert.deepEqual(records[1]!['labels__status'], ['valid', 'missing']);
    assert.equal((records[1]!['sentiment__meta'] as { reasks: number }).reasks, 1);
    const schema = parquetSchema(await parquetMetadataAsync(file));
    const types = Object.fromEntries(schema.children.map((child) => [child.element.name, child.element.type]));
    assert.equal(types['likes'], 'INT64');
    assert.equal(types['sentiment__status'], 'BYTE_ARRAY');
  });

  it('parquet: many row groups, every row in order', async () => {
    const count = 25_000;
    const rows = Array.from({ length: count }, (_, index) => ({ index, key: String(index), row: { n: index } }));
    const manifest = rows.map((row) => ({
      index: row.index,
      key: row.key,
      prompts: { p: { skipped: true as const } },
    }));
    const out = join(folder, 'many.parquet');
    await writeEnriched({
      manifestRows: iterate(manifest),
      dataRows: iterate(rows),
      answers: lookupInMap(new Map()),
      prompts: [{ name: 'p', samples: 1 }],
      out,
      format: 'parquet',
      fields: 'nested',
      meta: false,
    });
    const records = await parquetReadObjects({ file: await asyncBufferFromFile(out), columns: ['n'] });
    assert.equal(records.length, count);
    assert.ok(records.every((record, index) => record['n'] === BigInt(index)));
    // The spool is gone: only the parquet file (and earlier tests' files) remain.
    assert.deepEqual(
      (await readdir(folder)).filter((name) => name.includes('spool') || name.endsWith('.tmp')),
      [],
    );
  });

  it('resolves the target: format from --format, else the extension of out, else jsonl', () => {
    assert.deepEqual(resolveEnrichedTarget({}, '/jobs/j1'), { path: '/jobs/j1/enriched.jsonl', format: 'jsonl' });
    assert.deepEqual(resolveEnrichedTarget({ format: 'csv' }, '/jobs/j1'), {
      path: '/jobs/j1/enriched.csv',
      format: 'csv',
    });
    assert.deepEqual(resolveEnrichedTarget({ out: 'out/posts.parquet' }, '/jobs/j1', '/home/a'), {
      path: '/home/a/out/posts.parquet',
      format: 'parquet',
    });
    assert.deepEqual(resolveEnrichedTarget({ out: 'posts.txt' }, '/jobs/j1', '/home/a'), {
      path: '/home/a/posts.txt',
      format: 'jsonl',
    });
  });
});
