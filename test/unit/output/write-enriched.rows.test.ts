import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { writeEnriched } from '../../../src/output/write-enriched.ts';
import { createEnrichFixture, enrichOptions } from './enrich-fixture.ts';

async function readJsonl(path: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('writeEnriched: the enriched rows', () => {
  let folder = '';
  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'batchpilot-enriched-'));
  });
  after(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('keeps source order and fields, and adds per prompt the value, __status and __error', async () => {
    const fixture = createEnrichFixture();
    const out = join(folder, 'nested.jsonl');
    const result = await writeEnriched(enrichOptions(fixture, out));
    const rows = await readJsonl(out);
    assert.equal(result.rows, 5);
    assert.deepEqual(
      rows.map((row) => row['id']),
      ['post-0', 'post-1', 'post-2', 'post-3', 'post-4'],
    );
    assert.deepEqual(Object.keys(rows[0]!), [
      'id',
      'text',
      'user',
      'sentiment',
      'sentiment__status',
      'sentiment__error',
      'topic',
      'topic__status',
      'topic__error',
      'labels',
      'labels__status',
      'labels__error',
    ]);
    assert.deepEqual(rows[0]!['user'], { name: 'u0', lang: 'zh' });
    assert.deepEqual(
      rows.map((row) => row['sentiment__status']),
      ['valid', 'repaired', 'invalid', 'failed', 'missing'],
    );
    assert.deepEqual(rows[0]!['sentiment'], { polarity: 'positive', score: 0.9 });
    assert.deepEqual(rows[1]!['sentiment'], { polarity: 'negative', score: 0.1 });
    // An invalid answer's parsed value is not written: only valid and repaired values are.
    assert.equal(rows[2]!['sentiment'], null);
    assert.equal(
      rows[2]!['sentiment__error'],
      "/polarity: must be equal to one of the allowed values; /: must have required property 'score'",
    );
    assert.equal(rows[3]!['sentiment__error'], 'http_400: bad request');
    assert.equal(rows[0]!['sentiment__error'], null);
  });

  it('gives `when` skips and template rejects their own status, and text prompts their text', async () => {
    const fixture = createEnrichFixture();
    const out = join(folder, 'skips.jsonl');
    await writeEnriched(enrichOptions(fixture, out));
    const rows = await readJsonl(out);
    assert.equal(rows[0]!['topic'], 'topic of 0');
    assert.deepEqual(
      rows.map((row) => row['topic__status']),
      ['valid', 'valid', 'valid', 'skipped', 'rejected'],
    );
    assert.equal(rows[3]!['topic__error'], null);
    assert.match(String(rows[4]!['topic__error']), /template variable `title`/);
  });

  it('writes an array per field for a prompt with samples > 1, one entry per sample', async () => {
    const fixture = createEnrichFixture();
    const out = join(folder, 'samples.jsonl');
    await writeEnriched(enrichOptions(fixture, out, { meta: true }));
    const rows = await readJsonl(out);
    assert.deepEqual(rows[0]!['labels'], [['a', '0'], ['b']]);
    assert.deepEqual(rows[0]!['labels__status'], ['valid', 'valid']);
    assert.deepEqual(rows[1]!['labels'], [['a', '1'], null]);
    assert.deepEqual(rows[1]!['labels__status'], ['valid', 'missing']);
    assert.deepEqual(rows[1]!['labels__error'], [null, 'not answered (pending)']);
    const meta = rows[1]!['labels__meta'] as unknown[];
    assert.equal(meta.length, 2);
    assert.deepEqual(rows[1]!['sentiment__meta'], {
      model: 'glm-4-air',
      attempts: 2,
      reasks: 1,
      input_tokens: 100,
      output_tokens: 20,
      cost_usd: 0.001,
    });
    assert.equal(rows[4]!['sentiment__meta'], null);
  });

  it('flat: object fields become prompt.a.b keys; a prompt without a value adds no value key', async () => {
    const fixture = createEnrichFixture();
    const out = join(folder, 'flat.jsonl');
    await writeEnriched(enrichOptions(fixture, out, { fields: 'flat', meta: true }));
    const rows = await readJsonl(out);
    assert.deepEqual(Object.keys(rows[0]!).slice(0, 7), [
      'id',
      'text',
      'user.name',
      'user.lang',
      'sentiment.polarity',
      'sentiment.score',
      'sentiment__status',
    ]);
    assert.equal(rows[0]!['sentiment.polarity'], 'positive');
    assert.equal(rows[0]!['sentiment__meta.model'], 'glm-4-air');
    assert.equal('sentiment' in rows[2]!, false);
    assert.equal('sentiment.polarity' in rows[2]!, false);
    assert.equal(rows[2]!['sentiment__status'], 'invalid');
    // Arrays (samples) stay whole.
    assert.deepEqual(rows[0]!['labels'], [['a', '0'], ['b']]);
  });

  it('replaces a source field that has the name of a prompt field (an enriched file enriched again)', async () => {
    const fixture = createEnrichFixture();
    fixture.rows[0] = { ...fixture.rows[0]!, row: { sentiment: 'old', sentiment__status: 'old', id: 'post-0' } };
    const out = join(folder, 'again.jsonl');
    await writeEnriched(enrichOptions(fixture, out));
    const [row] = await readJsonl(out);
    assert.deepEqual(Object.keys(row!).slice(0, 3), ['id', 'sentiment', 'sentiment__status']);
    assert.deepEqual(row!['sentiment'], { polarity: 'positive', score: 0.9 });
  });

  it('writes the keys of rows without a valid wanted answer, one a line', async () => {
    const fixture = createEnrichFixture();
    const out = join(folder, 'keys.jsonl');
    const keys = join(folder, 'rows_without_valid.txt');
    const result = await writeEnriched(enrichOptions(fixture, out, { rowsWithoutValidOut: keys }));
    // post-0: all valid; post-1: a label sample pending; post-2 invalid; post-3 failed; post-4 missing + rejected.
    assert.equal(await readFile(keys, 'utf8'), 'post-1\npost-2\npost-3\npost-4\n');
    assert.equal(result.tally.rowsWithoutValid, 4);
  });

  it('gives byte-identical files for the same inputs, in every format', async () => {
    for (const format of ['jsonl', 'json', 'csv', 'parquet'] as const) {
      const first = join(folder, `first.${format}`);
      const second = join(folder, `second.${format}`);
      await writeEnriched(enrichOptions(createEnrichFixture(), first, { format, meta: true }));
      await writeEnriched(enrichOptions(createEnrichFixture(), second, { format, meta: true }));
      assert.ok((await readFile(first)).equals(await readFile(second)), format);
    }
  });

  it('is atomic: a write that fails leaves the previous file whole, and no temp or spool file', async () => {
    const sub = await mkdtemp(join(folder, 'atomic-'));
    for (const format of ['jsonl', 'csv'] as const) {
      const out = join(sub, `kept.${format}`);
      await writeEnriched(enrichOptions(createEnrichFixture(), out, { format }));
      const before = await readFile(out);
      // A spool a killed run left behind is replaced and removed by the next write.
      await writeFile(join(sub, `.kept.${format}.spool`), 'left by a killed run\n');
      let pages = 0;
      const failing = enrichOptions(createEnrichFixture(), out, {
        format,
        answers: () => Promise.reject(new Error(`store gone (page ${String((pages += 1))})`)),
      });
      await assert.rejects(writeEnriched(failing), /store gone/);
      assert.ok((await readFile(out)).equals(before), format);
      assert.deepEqual(await readdir(sub), format === 'jsonl' ? ['kept.jsonl'] : ['kept.csv', 'kept.jsonl'], format);
    }
  });

  it('writes a row the data reader could not read (rejected for every prompt, no data row) with its prompt fields', async () => {
    const fixture = createEnrichFixture();
    const reason = 'line 3: not JSON';
    fixture.manifest[2] = {
      ...fixture.manifest[2]!,
      prompts: { sentiment: { rejected: reason }, topic: { rejected: reason }, labels: { rejected: reason } },
    };
    fixture.rows.splice(2, 1);
    const out = join(folder, 'unreadable.jsonl');
    await writeEnriched(enrichOptions(fixture, out));
    const rows = await readJsonl(out);
    assert.deepEqual(
      rows.map((row) => row['id'] ?? null),
      ['post-0', 'post-1', null, 'post-3', 'post-4'],
    );
    assert.equal(rows[2]!['sentiment__status'], 'rejected');
    assert.deepEqual(rows[2]!['labels__error'], [reason, reason]);
  });

  it('refuses data that no longer matches the manifest (INPUT_CHANGED), leaving no file behind', async () => {
    const fixture = createEnrichFixture();
    fixture.rows.splice(2, 1);
    const out = join(folder, 'changed.jsonl');
    await assert.rejects(writeEnriched(enrichOptions(fixture, out, { dataPath: 'posts.jsonl' })), {
      code: 'INPUT_CHANGED',
    });
    await assert.rejects(readFile(out), { code: 'ENOENT' });
  });
});
