import { isAbsolute, resolve } from 'node:path';
import type { Connection, Table } from '@lancedb/lancedb';
import type { DataType, Field, Schema, Table as ArrowTable, Vector } from 'apache-arrow';
import type { LanceDbSinkConfig } from '../config/sinks-config-schema.ts';
import { SinkError } from '../errors/sink-error.ts';
import { fromArrowField, toArrowField, toArrowValue } from './arrow-columns.ts';
import { diffTableColumns } from './diff-table-columns.ts';
import type { LanceDbModules } from './load-lancedb.ts';
import { valueAtPath } from '../util/value-at-path.ts';
import { projectRow } from './project-row.ts';
import type { Sink, SinkBatch, SinkRow } from './sink.ts';
import type { SinkContext } from './sink-context.ts';
import { columnNameOf, tableLayout, type ColumnSpec, type TableLayout } from './table-columns.ts';

/**
 * A LanceDB table filled by upsert (decision 0025).
 *
 * - `open` connects, then creates the table from the derived columns (table-columns.ts) or checks the existing one
 *   (diff-table-columns.ts): new nullable columns are added, anything else throws SINK_SCHEMA_INCOMPATIBLE listing
 *   every difference. With `vectors:` and no table yet, creation waits for the first batch: the vector column's
 *   size is the first embedding's dimension (checked on every later one).
 * - `write` is `mergeInsert(key).whenMatchedUpdateAll().whenNotMatchedInsertAll()`: the same batch twice leaves one
 *   copy of each row. Keys repeated inside a batch keep their last row (a merge refuses ambiguous source rows).
 * - Writes and `optimize` (every `optimize_every` writes) run one at a time on this writer, so compaction never runs
 *   twice at once nor beside a write of ours. One writer per table is the runner's to keep (one sink per table).
 */
export class LanceDbSink implements Sink {
  readonly name: string;
  /** What this writer did, for the runner's figures and tests. */
  readonly stats = { writes: 0, optimizes: 0, maxConcurrentOptimizes: 0 };
  private readonly config: LanceDbSinkConfig;
  private readonly context: SinkContext;
  private readonly modules: LanceDbModules;
  private readonly layout: TableLayout;
  private db: Connection | undefined;
  private table: Table | undefined;
  /** The table's Arrow schema: the shape every batch is built in (its column order, its types). */
  private schema: Schema | undefined;
  /** The table's columns as specs, in the schema's order (what each value is converted for). */
  private tableColumns: ColumnSpec[] = [];
  /** Per derived column, the (projected) row field it is read from. */
  private readonly sourceOf: ReadonlyMap<string, string>;
  private vectorSize: number | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private optimizing = 0;

  constructor(config: LanceDbSinkConfig, context: SinkContext, modules: LanceDbModules) {
    this.name = config.name;
    this.config = config;
    this.context = context;
    this.modules = modules;
    this.layout = tableLayout(context.rowSchema, { key: config.key, fields: config.fields });
    const projected = new Map((config.fields ?? []).map((field) => [columnNameOf(field), field]));
    this.sourceOf = new Map(
      this.layout.columns.map((column) => [column.name, projected.get(column.name) ?? column.name]),
    );
    if (config.vectors !== undefined && context.embed === undefined) {
      throw new SinkError('SINK_FAILED', `sink "${this.name}": vectors need an embedder, and none was given`, {
        context: { key: 'vectors' },
      });
    }
  }

  async open(): Promise<void> {
    const { lancedb } = this.modules;
    const uri =
      /^[a-z][a-z0-9+.-]*:\/\//i.test(this.config.uri) || isAbsolute(this.config.uri)
        ? this.config.uri
        : resolve(this.context.cwd, this.config.uri);
    this.db = await this.guard('connect', () => lancedb.connect(uri));
    const db = this.db;
    const names = await this.guard('list tables', () => db.tableNames());
    if (names.includes(this.config.table)) {
      this.table = await this.guard('open the table', () => db.openTable(this.config.table));
      await this.checkTable(this.table);
    } else if (this.config.vectors === undefined) {
      await this.createTable(this.layout.columns);
    }
  }

  write(batch: SinkBatch): Promise<void> {
    const next = this.chain.then(() => this.writeNow(batch));
    this.chain = next.catch(() => undefined);
    return next;
  }

  async countByGroup(groupField: string): Promise<Map<string, number> | undefined> {
    await this.chain;
    const counts = new Map<string, number>();
    if (this.table === undefined || this.schema === undefined) return counts;
    const names = new Set(this.schema.fields.map((field) => field.name));
    const column = names.has(groupField)
      ? groupField
      : groupField === this.context.rowSchema.groupField &&
          this.layout.groupColumn !== undefined &&
          names.has(this.layout.groupColumn)
        ? this.layout.groupColumn
        : undefined;
    if (column === undefined) return undefined;
    const table = this.table;
    const result = await this.guard('count rows per group', () => table.query().select([column]).toArrow());
    const vector = result.getChild(column);
    if (vector === null) return counts;
    for (const value of vector) {
      if (value === null || value === undefined) continue;
      const group = String(value);
      counts.set(group, (counts.get(group) ?? 0) + 1);
    }
    return counts;
  }

  async close(): Promise<void> {
    await this.chain;
    this.table?.close();
    this.db?.close();
    this.table = undefined;
    this.db = undefined;
  }

  private async writeNow(batch: SinkBatch): Promise<void> {
    if (batch.rows.length === 0) return;
    const rows = [...new Map(batch.rows.map((row) => [row.key, row])).values()];
    const records = rows.map((row) => this.record(row));
    if (this.config.vectors !== undefined) await this.addVectors(rows, records);
    const table = this.table;
    const schema = this.schema;
    if (table === undefined || schema === undefined) throw new Error(`sink "${this.name}": write before open`);
    const data = this.arrowTable(records, schema);
    await this.guard(`write batch ${String(batch.batchNo)}`, () =>
      table.mergeInsert(this.layout.keyColumn).whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(data),
    );
    this.stats.writes += 1;
    const every = this.config.optimize_every;
    if (every > 0 && this.stats.writes % every === 0) await this.optimize(table);
  }

  private async optimize(table: Table): Promise<void> {
    this.optimizing += 1;
    this.stats.maxConcurrentOptimizes = Math.max(this.stats.maxConcurrentOptimizes, this.optimizing);
    try {
      await this.guard('optimize', () => table.optimize());
      this.stats.optimizes += 1;
    } finally {
      this.optimizing -= 1;
    }
  }

  /** A sink row as the derived columns name it: key, group, then the (projected) row's fields. */
  private record(row: SinkRow): Record<string, unknown> {
    const projected = projectRow(row.row, this.config.fields);
    const record: Record<string, unknown> = {};
    for (const [column, field] of this.sourceOf) record[column] = projected[field];
    record[this.layout.keyColumn] = row.key;
    if (this.layout.groupColumn !== undefined) record[this.layout.groupColumn] = row.group ?? null;
    return record;
  }

  /**
   * The batch as an Arrow table in the table's schema, built a column at a time: a third less CPU than LanceDB's
   * `makeArrowTable`, which goes row by row (it runs on the run's thread, beside the requests).
   */
  private arrowTable(records: readonly Record<string, unknown>[], schema: Schema): ArrowTable {
    const { arrow } = this.modules;
    const vectors: Record<string, Vector> = {};
    this.tableColumns.forEach((column, index) => {
      const field = schema.fields[index];
      if (field === undefined) return;
      const values = records.map((record) => toArrowValue(record[column.name], column.type));
      vectors[column.name] = arrow.vectorFromArray(values, field.type as DataType);
    });
    return new arrow.Table(schema, vectors);
  }

  /** Reads the table's schema again after it changed (made, widened). */
  private async useSchemaOf(table: Table): Promise<void> {
    const { arrow } = this.modules;
    this.schema = await this.guard('read the table schema', () => table.schema());
    this.tableColumns = this.schema.fields.map((field: Field) => fromArrowField(arrow, field));
  }

  private async addVectors(rows: readonly SinkRow[], records: Record<string, unknown>[]): Promise<void> {
    const vectors = this.config.vectors;
    const embed = this.context.embed;
    if (vectors === undefined || embed === undefined) return;
    const texts: string[] = [];
    const at: number[] = [];
    rows.forEach((row, index) => {
      const value = valueAtPath(row.row, vectors.from);
      if (value === null || value === undefined || value === '') return;
      texts.push(typeof value === 'string' ? value : JSON.stringify(value));
      at.push(index);
    });
    let embedded: number[][] = [];
    if (texts.length > 0) {
      try {
        embedded = await embed(texts);
      } catch (error) {
        if (error instanceof SinkError) throw error;
        throw new SinkError('SINK_UNAVAILABLE', `sink "${this.name}": embedding ${String(texts.length)} texts failed`, {
          cause: error,
        });
      }
      if (embedded.length !== texts.length) {
        throw this.failed(`the embedder gave ${String(embedded.length)} vectors for ${String(texts.length)} texts`);
      }
    }
    for (const vector of embedded) {
      this.vectorSize ??= vector.length;
      if (vector.length !== this.vectorSize) {
        throw this.failed(
          `an embedding has ${String(vector.length)} dimensions, the column ${vectors.column} holds ${String(this.vectorSize)}`,
        );
      }
    }
    embedded.forEach((vector, index) => {
      const row = at[index];
      if (row !== undefined && records[row] !== undefined) records[row][vectors.column] = vector;
    });
    for (const record of records) record[vectors.column] ??= null;
    if (this.vectorSize === undefined) {
      // No text to embed yet: the table goes without its vector column, added once a batch gives the size.
      if (this.table === undefined) await this.createTable(this.layout.columns);
      return;
    }
    const column: ColumnSpec = {
      name: vectors.column,
      type: { kind: 'vector', size: this.vectorSize },
      nullable: true,
    };
    if (this.table === undefined) {
      await this.createTable([...this.layout.columns, column]);
    } else if (this.schema?.fields.every((field) => field.name !== vectors.column) === true) {
      const table = this.table;
      await this.guard('add the vector column', () => table.addColumns([toArrowField(this.modules.arrow, column)]));
      await this.useSchemaOf(table);
    }
  }

  private async createTable(columns: readonly ColumnSpec[]): Promise<void> {
    const { arrow } = this.modules;
    const db = this.db;
    if (db === undefined) throw new Error(`sink "${this.name}": not open`);
    const schema = new arrow.Schema(columns.map((column) => toArrowField(arrow, column)));
    const table = await this.guard('create the table', () => db.createEmptyTable(this.config.table, schema));
    this.table = table;
    await this.useSchemaOf(table);
  }

  private async checkTable(table: Table): Promise<void> {
    const { arrow } = this.modules;
    const schema = await this.guard('read the table schema', () => table.schema());
    const existing = schema.fields.map((field: Field) => fromArrowField(arrow, field));
    const vectors = this.config.vectors;
    const vectorColumn = vectors === undefined ? undefined : existing.find((column) => column.name === vectors.column);
    if (vectorColumn?.type.kind === 'vector') this.vectorSize = vectorColumn.type.size;
    const diff = diffTableColumns(existing, this.layout.columns);
    if (vectorColumn !== undefined && vectorColumn.type.kind !== 'vector') {
      diff.problems.push(`~ ${vectorColumn.name}: the table holds it as ${vectorColumn.type.kind}, not a vector`);
    }
    if (diff.problems.length > 0) {
      throw new SinkError(
        'SINK_SCHEMA_INCOMPATIBLE',
        `sink "${this.name}": table "${this.config.table}" at ${this.config.uri} cannot take this job's rows:\n` +
          diff.problems.map((line) => `  ${line}`).join('\n') +
          '\nwrite to a new table (sinks[].table), or change the prompts back; nothing was sent',
        { context: { key: 'table' } },
      );
    }
    if (diff.add.length > 0) {
      await this.guard('add new columns', () =>
        table.addColumns(diff.add.map((column) => toArrowField(arrow, column))),
      );
    }
    await this.useSchemaOf(table);
  }

  private failed(what: string): SinkError {
    return new SinkError('SINK_FAILED', `sink "${this.name}": ${what}`);
  }

  /**
   * Runs a LanceDB call; a throw becomes SINK_UNAVAILABLE when it looks like the target being away or busy (the
   * runner retries), SINK_FAILED otherwise. A SinkError of ours passes as it is.
   */
  private async guard<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof SinkError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      const away = /timed? ?out|connect|unavailable|throttl|too many|\b429\b|\b50\d\b|broken pipe|reset by peer/i.test(
        message,
      );
      throw new SinkError(
        away ? 'SINK_UNAVAILABLE' : 'SINK_FAILED',
        `sink "${this.name}": could not ${what} on table "${this.config.table}": ${message.split('\n')[0] ?? ''}`,
        { cause: error },
      );
    }
  }
}
