import type { ColumnSpec, ColumnType } from './table-columns.ts';

/**
 * An existing table against the columns the rows want (decision 0025). Compatible: the same columns, or new nullable
 * top-level columns (added to the table before anything is written). Incompatible, each named in a readable line: a
 * type change, a new field inside an existing struct (LanceDB cannot add it in place), a column the table requires
 * (not null) that the rows do not fill, or a wanted nullable column the table holds as not null. A `json` column is
 * stored as text, so it matches a Utf8 column either way round.
 */
export interface TableColumnsDiff {
  add: ColumnSpec[];
  problems: string[];
}

export function diffTableColumns(table: readonly ColumnSpec[], wanted: readonly ColumnSpec[]): TableColumnsDiff {
  const add: ColumnSpec[] = [];
  const problems: string[] = [];
  const tableByName = new Map(table.map((column) => [column.name, column]));
  const wantedNames = new Set(wanted.map((column) => column.name));
  for (const column of wanted) {
    const existing = tableByName.get(column.name);
    if (existing === undefined) {
      if (column.nullable) add.push(column);
      else problems.push(`+ ${column.name}: ${describeType(column.type)} not null (a new required column)`);
      continue;
    }
    compareColumn(existing, column, column.name, problems);
  }
  for (const column of table) {
    if (!column.nullable && !wantedNames.has(column.name)) {
      problems.push(`- ${column.name}: ${describeType(column.type)} not null (required by the table, not in the rows)`);
    }
  }
  return { add, problems };
}

function compareColumn(existing: ColumnSpec, wanted: ColumnSpec, path: string, problems: string[]): void {
  if (!existing.nullable && wanted.nullable) {
    problems.push(`~ ${path}: the table holds it not null, the rows may leave it empty`);
  }
  compareType(existing.type, wanted.type, path, problems);
}

function compareType(existing: ColumnType, wanted: ColumnType, path: string, problems: string[]): void {
  const base = (type: ColumnType): string =>
    type.kind === 'json' ? 'utf8' : type.kind === 'other' ? `other:${type.name}` : type.kind;
  if (base(existing) !== base(wanted)) {
    problems.push(`~ ${path}: table ${describeType(existing)}, rows ${describeType(wanted)}`);
    return;
  }
  if (existing.kind === 'list' && wanted.kind === 'list') {
    compareType(existing.item, wanted.item, `${path}[]`, problems);
  } else if (existing.kind === 'vector' && wanted.kind === 'vector') {
    if (existing.size !== wanted.size) {
      problems.push(`~ ${path}: table ${describeType(existing)}, rows ${describeType(wanted)}`);
    }
  } else if (existing.kind === 'struct' && wanted.kind === 'struct') {
    const inner = new Map(existing.fields.map((field) => [field.name, field]));
    for (const field of wanted.fields) {
      const known = inner.get(field.name);
      if (known === undefined) {
        problems.push(
          `+ ${path}.${field.name}: ${describeType(field.type)} (new inside a struct column: LanceDB cannot add a field there in place)`,
        );
      } else {
        compareColumn(known, field, `${path}.${field.name}`, problems);
      }
    }
  }
}

export function describeType(type: ColumnType): string {
  switch (type.kind) {
    case 'list':
      return `list<${describeType(type.item)}>`;
    case 'struct':
      return `struct<${type.fields.map((field) => `${field.name}: ${describeType(field.type)}`).join(', ')}>`;
    case 'vector':
      return `vector[${String(type.size)}]`;
    case 'json':
      return 'utf8 (JSON text)';
    case 'other':
      return type.name;
    default:
      return type.kind;
  }
}
