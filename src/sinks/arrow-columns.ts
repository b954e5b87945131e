import type { DataType, Field } from 'apache-arrow';
import type { ArrowModule } from './load-lancedb.ts';
import type { ColumnSpec, ColumnType } from './table-columns.ts';

/**
 * Our column specs to Arrow fields and back, and row values to what the Arrow builders take: text columns get
 * strings (any other value as its JSON text), numbers and booleans only a value of their type (anything else is
 * null: a row kept with `rows: all` may hold an answer that failed its schema), structs and lists walked.
 */

export function toArrowField(arrow: ArrowModule, column: ColumnSpec): Field {
  return new arrow.Field(column.name, toArrowType(arrow, column.type), column.nullable);
}

function toArrowType(arrow: ArrowModule, type: ColumnType): DataType {
  switch (type.kind) {
    case 'utf8':
    case 'json':
      return new arrow.Utf8();
    case 'int64':
      return new arrow.Int64();
    case 'float64':
      return new arrow.Float64();
    case 'bool':
      return new arrow.Bool();
    case 'list':
      return new arrow.List(new arrow.Field('item', toArrowType(arrow, type.item), true));
    case 'struct':
      return new arrow.Struct(type.fields.map((field) => toArrowField(arrow, field)));
    case 'vector':
      return new arrow.FixedSizeList(type.size, new arrow.Field('item', new arrow.Float32(), true));
    case 'other':
      throw new Error(`no Arrow type is derived for ${type.name}`);
  }
}

/** An existing table's field as a spec (an Arrow type we do not map reads as `json` text, so it diffs as text). */
export function fromArrowField(arrow: ArrowModule, field: Field): ColumnSpec {
  return { name: field.name, type: fromArrowType(arrow, field.type as DataType), nullable: field.nullable };
}

function fromArrowType(arrow: ArrowModule, type: DataType): ColumnType {
  if (arrow.DataType.isUtf8(type) || arrow.DataType.isLargeUtf8(type)) return { kind: 'utf8' };
  if (arrow.DataType.isInt(type)) return { kind: 'int64' };
  if (arrow.DataType.isFloat(type)) return { kind: 'float64' };
  if (arrow.DataType.isBool(type)) return { kind: 'bool' };
  if (arrow.DataType.isList(type)) {
    const first: Field | undefined = type.children[0];
    const child = first?.type as DataType | undefined;
    return { kind: 'list', item: child === undefined ? { kind: 'json' } : fromArrowType(arrow, child) };
  }
  if (arrow.DataType.isFixedSizeList(type)) return { kind: 'vector', size: type.listSize };
  if (arrow.DataType.isStruct(type)) {
    return { kind: 'struct', fields: type.children.map((child) => fromArrowField(arrow, child)) };
  }
  return { kind: 'other', name: arrow.Type[type.typeId] ?? `type ${String(type.typeId)}` };
}

/** One value for a column of `type`, as the Arrow builder of that type takes it. */
export function toArrowValue(value: unknown, type: ColumnType): unknown {
  // A missing answer of a struct column is a struct of nulls: LanceDB 0.31's makeArrowTable fails on a batch where a
  // null struct comes before a filled one (it takes the null for a leaf), as `rows: all` sends them.
  if (value === null || value === undefined) return type.kind === 'struct' ? structOfNulls(type) : null;
  switch (type.kind) {
    case 'utf8':
    case 'json':
      return typeof value === 'string' ? value : JSON.stringify(value);
    case 'int64':
      // Arrow's Int64 builder takes a bigint (any integral number converts exactly).
      return typeof value === 'number' && Number.isInteger(value) ? BigInt(value) : null;
    case 'float64':
      return typeof value === 'number' ? value : null;
    case 'bool':
      return typeof value === 'boolean' ? value : null;
    case 'list':
      return Array.isArray(value) ? value.map((item) => toArrowValue(item, type.item)) : null;
    case 'vector':
    case 'other':
      return Array.isArray(value) ? value : null;
    case 'struct': {
      if (typeof value !== 'object' || Array.isArray(value)) return structOfNulls(type);
      const source = value as Record<string, unknown>;
      return Object.fromEntries(type.fields.map((field) => [field.name, toArrowValue(source[field.name], field.type)]));
    }
  }
}

function structOfNulls(type: Extract<ColumnType, { kind: 'struct' }>): Record<string, unknown> {
  return Object.fromEntries(type.fields.map((field) => [field.name, toArrowValue(null, field.type)]));
}
