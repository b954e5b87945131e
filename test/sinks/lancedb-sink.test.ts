import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { connect } from '@lancedb/lancedb';
import type { LanceDbSinkConfig } from '../../src/config/sinks-config-schema.ts';
import { SinkError } from '../../src/errors/sink-error.ts';
import { createSink } from '../../src/sinks/create-sink.ts';
import type { LanceDbSink } from '../../src/sinks/lancedb-sink.ts';
import type { SinkRow } from '../../src/sinks/sink.ts';
import type { RowSchemaHint, SinkContext } from '../../src/sinks/sink-context.ts';
import { createTempWorkspace, type TempWorkspace } from '../helpers/temp-workspace.ts';

/** Issue 13 section 2: a real LanceDB table in a temp folder, filled by upsert, its schema derived and checked. */

const critiqueSchema = {
  type: 'object',
  properties: {
    text: { type: 'string' },
    score: { type: 'integer' },
    tags: { type: 'array', items: { type: 'string' } },
  },
  required: ['text'],
};

const hint: RowSchemaHint = {
  sourceFields: ['id', 'culture', 'title'],
  prompts: [{ name: 'critique', schema: critiqueSchema }],
  keyField: 'id',
  groupField: 'culture',
};

function row(id: number, culture: string, text = `critique ${String(id)}`): SinkRow {
  return {
    key: String(id),
    group: culture,
    row: {
      id,
      culture,
      title: `image ${String(id)}`,
      critique: { text, score: id % 5, tags: ['a', culture] },
      critique__status: 'valid',
      critique__error: null,
    },
  };
}

function config(overrides: Partial<LanceDbSinkConfig> = {}): LanceDbSinkConfig {
  return {
    type: 'lancedb',
    name: 'lance',
    uri: './db',
    table: 'critiques',
    rows: 'valid',
    every: 100,
    optimize_every: 0,
    ...overrides,
  };
}

async function rowsOf(dir: string, table = 'critiques'): Promise<Record<string, unknown>[]> {
  const db = await connect(`${dir}/db`);
  const opened = await db.openTable(table);
  const rows = await opened.query().toArray();
  opened.close();
  db.close();
  return rows as Record<string, unknown>[];
}

describe('LanceDbSink against a real table', () => {
  const workspaces: TempWorkspace[] = [];
  after(async () => Promise.all(workspaces.map((workspace) => workspace.remove())));
  async function context(rowSchema = hint, extra: Partial<SinkContext> = {}): Promise<SinkContext> {
    const workspace = await createTempWorkspace('batchpilot-lancedb-');
    workspaces.push(workspace);
    return { jobId: 'job-1', cwd: workspace.dir, rowSchema, ...extra };
  }

  it('creates the table, appends, and upserts the same batch twice into one copy', async () => {
    const ctx = await context();
    const sink = await createSink(config(), ctx);
    await sink.open();
    await sink.write({ batchNo: 1, rows: [row(1, 'korean'), row(2, 'indian')] });
    await sink.write({ batchNo: 2, rows: [row(3, 'korean')] });
    await sink.write({ batchNo: 2, rows: [row(3, 'korean')] });
    await sink.write({ batchNo: 1, rows: [row(1, 'korean', 'changed'), row(2, 'indian')] });
    await sink.close();
    const rows = await rowsOf(ctx.cwd);
    assert.deepEqual(rows.map((r) => r['id']).sort(), ['1', '2', '3']);
    const first = rows.find((r) => r['id'] === '1');
    assert.equal((first?.['critique'] as { text: string }).text, 'changed');
    assert.equal(Number((first?.['critique'] as { score: bigint }).score), 1);
    assert.equal(first?.['critique__status'], 'valid');
  });

  it('takes a row without an answer (rows: all) before one with, in one batch', async () => {
    const ctx = await context();
    const sink = await createSink(config({ rows: 'all' }), ctx);
    await sink.open();
    const unanswered: SinkRow = {
      key: '9',
      group: 'mural',
      row: {
        id: 9,
        culture: 'mural',
        title: 'image 9',
        critique: null,
        critique__status: 'invalid',
        critique__error: 'x',
      },
    };
    await sink.write({ batchNo: 1, rows: [unanswered, row(1, 'korean')] });
    await sink.close();
    const rows = await rowsOf(ctx.cwd);
    assert.deepEqual(rows.map((r) => r['id']).sort(), ['1', '9']);
    const nine = rows.find((r) => r['id'] === '9');
    assert.equal((nine?.['critique'] as { text: unknown } | null)?.text ?? null, null);
  });

  it('counts keys per group, and reopens a table it made without a change', async () => {
    const ctx = await context();
    const sink = await createSink(config(), ctx);
    await sink.open();
    await sink.write({ batchNo: 1, rows: [row(1, 'korean'), row(2, 'indian'), row(3, 'korean'), row(3, 'korean')] });
    await sink.close();
    const again = await createSink(config(), ctx);
    await again.open();
    const counts = await again.countByGroup?.('culture');
    assert.deepEqual(Object.fromEntries(counts ?? []), { korean: 2, indian: 1 });
    assert.equal(await again.countByGroup?.('no_such_field'), undefined);
    await again.close();
  });

  it('adds a new nullable field of the rows to an existing table', async () => {
    const ctx = await context();
    const sink = await createSink(config(), ctx);
    await sink.open();
    await sink.write({ batchNo: 1, rows: [row(1, 'korean')] });
    await sink.close();
    const wider: RowSchemaHint = { ...hint, prompts: [...hint.prompts, { name: 'summary' }] };
    const next = await createSink(config(), { ...ctx, rowSchema: wider });
    await next.open();
    const second = row(2, 'mural');
    await next.write({
      batchNo: 1,
      rows: [{ ...second, row: { ...second.row, summary: 'short', summary__status: 'valid' } }],
    });
    await next.close();
    const rows = await rowsOf(ctx.cwd);
    assert.equal(rows.length, 2);
    assert.equal(rows.find((r) => r['id'] === '2')?.['summary'], 'short');
    assert.equal(rows.find((r) => r['id'] === '1')?.['summary'], null);
  });

  it('refuses an incompatible table before writing, listing each difference', async () => {
    const ctx = await context();
    const sink = await createSink(config(), ctx);
    await sink.open();
    await sink.write({ batchNo: 1, rows: [row(1, 'korean')] });
    await sink.close();
    const changed: RowSchemaHint = {
      ...hint,
      prompts: [
        {
          name: 'critique',
          schema: { ...critiqueSchema, properties: { ...critiqueSchema.properties, score: { type: 'string' } } },
        },
      ],
    };
    const next = await createSink(config(), { ...ctx, rowSchema: changed });
    await assert.rejects(next.open(), (error: unknown) => {
      assert.ok(error instanceof SinkError);
      assert.equal(error.code, 'SINK_SCHEMA_INCOMPATIBLE');
      assert.match(error.message, /critique\.score/);
      return true;
    });
  });

  it('runs optimize every N writes, one at a time, even when writes are called at once', async () => {
    const ctx = await context();
    const sink = (await createSink(config({ optimize_every: 2 }), ctx)) as LanceDbSink;
    await sink.open();
    await Promise.all(
      Array.from({ length: 8 }, (_, index) => sink.write({ batchNo: index + 1, rows: [row(index, 'chinese')] })),
    );
    await sink.close();
    assert.equal(sink.stats.writes, 8);
    assert.equal(sink.stats.optimizes, 4);
    assert.equal(sink.stats.maxConcurrentOptimizes, 1);
    assert.equal((await rowsOf(ctx.cwd)).length, 8);
  });

  it('makes the table without its vector column while no row has text, and adds it once one has', async () => {
    const embed = (texts: string[]): Promise<number[][]> => Promise.resolve(texts.map(() => [0.5, 0.25]));
    const ctx = await context(hint, { embed });
    const sink = await createSink(config({ vectors: { from: 'critique.text', column: 'vec', model: 'fake' } }), ctx);
    await sink.open();
    const empty = row(1, 'mural');
    await sink.write({ batchNo: 1, rows: [{ ...empty, row: { ...empty.row, critique: null } }] });
    await sink.write({ batchNo: 2, rows: [row(2, 'mural')] });
    await sink.close();
    const rows = await rowsOf(ctx.cwd);
    assert.equal(rows.find((r) => r['id'] === '1')?.['vec'], null);
    assert.deepEqual([...(rows.find((r) => r['id'] === '2')?.['vec'] as Iterable<number>)], [0.5, 0.25]);
  });

  it('embeds a text field into a vector column sized by the first answer', async () => {
    const calls: string[][] = [];
    const embed = (texts: string[]): Promise<number[][]> => {
      calls.push(texts);
      return Promise.resolve(texts.map((text) => [text.length, 1, 2, 3]));
    };
    const ctx = await context(hint, { embed });
    const vectors = { from: 'critique.text', column: 'vector', model: 'fake' };
    const sink = await createSink(config({ vectors }), ctx);
    await sink.open();
    await sink.write({ batchNo: 1, rows: [row(1, 'korean', 'abc'), row(2, 'korean', 'abcdef')] });
    await sink.close();
    const rows = await rowsOf(ctx.cwd);
    const vector = rows.find((r) => r['id'] === '2')?.['vector'] as Iterable<number>;
    assert.deepEqual([...vector], [6, 1, 2, 3]);
    assert.deepEqual(calls, [['abc', 'abcdef']]);

    const wrongSize = (texts: string[]): Promise<number[][]> => Promise.resolve(texts.map(() => [1, 2]));
    const next = await createSink(config({ vectors }), { ...ctx, embed: wrongSize });
    await next.open();
    await assert.rejects(next.write({ batchNo: 2, rows: [row(3, 'korean')] }), { code: 'SINK_FAILED' });
    await next.close();
  });
});
