import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffTableColumns } from '../../../src/sinks/diff-table-columns.ts';
import { columnTypeOf, tableLayout, type ColumnSpec } from '../../../src/sinks/table-columns.ts';

/** Decision 0025: a table's columns derived from the prompts' JSON Schemas, and an existing table diffed against them. */
describe('columnTypeOf', () => {
  const cases: [string, unknown, unknown][] = [
    ['string', { type: 'string' }, { kind: 'utf8' }],
    ['integer', { type: 'integer' }, { kind: 'int64' }],
    ['number', { type: 'number' }, { kind: 'float64' }],
    ['boolean', { type: 'boolean' }, { kind: 'bool' }],
    ['nullable string', { type: ['string', 'null'] }, { kind: 'utf8' }],
    ['string enum', { enum: ['a', 'b'] }, { kind: 'utf8' }],
    ['mixed enum', { enum: ['a', 1] }, { kind: 'json' }],
    ['two types', { type: ['string', 'number'] }, { kind: 'json' }],
    ['anyOf', { anyOf: [{ type: 'string' }] }, { kind: 'json' }],
    ['free object', { type: 'object' }, { kind: 'json' }],
    ['array without items', { type: 'array' }, { kind: 'json' }],
    ['array of integers', { type: 'array', items: { type: 'integer' } }, { kind: 'list', item: { kind: 'int64' } }],
    [
      'object',
      { type: 'object', properties: { b: { type: 'string' }, a: { type: 'number' } } },
      {
        kind: 'struct',
        fields: [
          { name: 'b', type: { kind: 'utf8' }, nullable: true },
          { name: 'a', type: { kind: 'float64' }, nullable: true },
        ],
      },
    ],
  ];
  for (const [what, schema, expected] of cases) {
    it(`maps ${what}`, () => assert.deepEqual(columnTypeOf(schema), expected));
  }
});

describe('tableLayout', () => {
  it('orders key, group, source fields, then per prompt value/status/error; only the key is not null', () => {
    const layout = tableLayout(
      {
        sourceFields: ['id', 'culture', 'n'],
        sourceSchema: { properties: { n: { type: 'integer' } } },
        prompts: [
          { name: 'p', schema: { type: 'string' } },
          { name: 'q', samples: 2 },
        ],
        groupField: 'culture',
      },
      {},
    );
    assert.equal(layout.keyColumn, '_key');
    assert.equal(layout.groupColumn, 'culture');
    assert.deepEqual(
      layout.columns.map((column) => `${column.name}:${column.type.kind}:${String(column.nullable)}`),
      [
        '_key:utf8:false',
        'culture:utf8:true',
        'id:json:true',
        'n:int64:true',
        'p:utf8:true',
        'p__status:utf8:true',
        'p__error:utf8:true',
        'q:list:true',
        'q__status:list:true',
        'q__error:list:true',
      ],
    );
  });

  it('uses the sink key, a dotted group as _group, and a projection in its order', () => {
    const layout = tableLayout(
      {
        sourceFields: ['id', 'meta'],
        prompts: [{ name: 'c', schema: { type: 'object', properties: { text: { type: 'string' } } } }],
        keyField: 'row_id',
        groupField: 'meta.culture',
      },
      { key: 'id', fields: ['c.text', 'id'] },
    );
    assert.deepEqual(
      layout.columns.map((column) => `${column.name}:${column.type.kind}`),
      ['id:utf8', '_group:utf8', 'c_text:utf8'],
    );
  });
});

describe('diffTableColumns', () => {
  const text = (name: string, nullable = true): ColumnSpec => ({ name, type: { kind: 'utf8' }, nullable });
  it('adds new nullable columns and accepts json against utf8', () => {
    const diff = diffTableColumns(
      [text('_key', false), text('a')],
      [text('_key', false), { name: 'a', type: { kind: 'json' }, nullable: true }, text('b')],
    );
    assert.deepEqual(diff, { add: [text('b')], problems: [] });
  });

  it('lists a type change, a new struct field and a required column the rows lack', () => {
    const struct = (fields: ColumnSpec[]): ColumnSpec => ({
      name: 's',
      type: { kind: 'struct', fields },
      nullable: true,
    });
    const diff = diffTableColumns(
      [
        text('_key', false),
        { name: 'n', type: { kind: 'int64' }, nullable: true },
        struct([text('x')]),
        text('req', false),
      ],
      [text('_key', false), text('n'), struct([text('x'), text('y')])],
    );
    assert.deepEqual(diff.add, []);
    assert.equal(diff.problems.length, 3, diff.problems.join('\n'));
    assert.match(diff.problems.join('\n'), /n: table int64, rows utf8/);
    assert.match(diff.problems.join('\n'), /s\.y/);
    assert.match(diff.problems.join('\n'), /req/);
  });
});
