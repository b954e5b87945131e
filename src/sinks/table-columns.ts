import { isRecord } from '../util/is-record.ts';
import type { RowSchemaHint } from './sink-context.ts';

/**
 * The columns of a sink's table, derived before any row is seen (decision 0025). Independent of Arrow, so the rules
 * are plain data to test and to diff:
 * - the key column first (Utf8, never null), then the group column when the job has groups, then the source fields
 *   in their order, then per prompt (in the prompts' order) `{prompt}`, `{prompt}__status`, `{prompt}__error`;
 *   with a projection (`fields`), only those columns, in the projection's order;
 * - every column but the key is nullable: a row may lack any answer;
 * - JSON Schema types map as string -> utf8, integer -> int64, number -> float64, boolean -> bool, an array with
 *   `items` -> list, an object with `properties` -> struct (fields in the schema's order; undeclared keys are
 *   dropped), `type: [x, "null"]` as x; anything else (no type, unions, `$ref`, free-form objects) -> `json`, stored
 *   as its JSON text, so no answer is ever refused by the table;
 * - source fields are `json` (text as is, other values as JSON text) unless `sourceSchema` types them;
 * - `samples > 1` makes a prompt's column a list of its type.
 */

export type ColumnType =
  | { kind: 'utf8' | 'int64' | 'float64' | 'bool' | 'json' }
  | { kind: 'list'; item: ColumnType }
  | { kind: 'struct'; fields: readonly ColumnSpec[] }
  | { kind: 'vector'; size: number }
  /** An Arrow type of an existing table that rows never get (a date, binary...): diffs as a type change. */
  | { kind: 'other'; name: string };

export interface ColumnSpec {
  name: string;
  type: ColumnType;
  nullable: boolean;
}

/** The table's key column when the sink names none and the data has no key column. */
export const DEFAULT_KEY_COLUMN = '_key';
/** The group column when `data.group_by` is a dotted path (a top-level name is used as the column name). */
export const DEFAULT_GROUP_COLUMN = '_group';

export interface TableColumnOptions {
  /** The sink's `key`. */
  key?: string | undefined;
  /** The sink's `fields`. */
  fields?: readonly string[] | undefined;
}

/** Where a sink row's key and group go, and the row fields' columns. */
export interface TableLayout {
  keyColumn: string;
  groupColumn: string | undefined;
  columns: ColumnSpec[];
}

const JSON_TYPE: ColumnType = { kind: 'json' };
const TEXT: ColumnType = { kind: 'utf8' };

/** A column name for a projected field: `critique.text` -> `critique_text` (LanceDB reads dots as nesting). */
export function columnNameOf(field: string): string {
  return field.replaceAll('.', '_');
}

export function tableLayout(hint: RowSchemaHint, options: TableColumnOptions): TableLayout {
  const keyColumn = columnNameOf(options.key ?? hint.keyField ?? DEFAULT_KEY_COLUMN);
  const groupColumn =
    hint.groupField === undefined ? undefined : hint.groupField.includes('.') ? DEFAULT_GROUP_COLUMN : hint.groupField;
  const byName = new Map<string, ColumnType>();
  const order: string[] = [];
  const put = (name: string, type: ColumnType): void => {
    if (!byName.has(name)) order.push(name);
    byName.set(name, type);
  };
  const sourceProperties = propertiesOf(hint.sourceSchema);
  for (const field of hint.sourceFields) {
    const schema = sourceProperties?.[field];
    put(field, schema === undefined ? JSON_TYPE : columnTypeOf(schema));
  }
  for (const prompt of hint.prompts) {
    const answer = prompt.schema === undefined ? TEXT : columnTypeOf(prompt.schema);
    put(prompt.name, (prompt.samples ?? 1) > 1 ? { kind: 'list', item: answer } : answer);
    const many = (prompt.samples ?? 1) > 1;
    put(`${prompt.name}__status`, many ? { kind: 'list', item: TEXT } : TEXT);
    put(`${prompt.name}__error`, many ? { kind: 'list', item: TEXT } : TEXT);
  }
  const fieldColumns: ColumnSpec[] =
    options.fields === undefined
      ? order.map((name) => ({ name, type: byName.get(name) ?? JSON_TYPE, nullable: true }))
      : options.fields.map((field) => ({
          name: columnNameOf(field),
          type: typeAtPath(byName, field),
          nullable: true,
        }));
  const columns: ColumnSpec[] = [{ name: keyColumn, type: TEXT, nullable: false }];
  if (groupColumn !== undefined && groupColumn !== keyColumn) {
    columns.push({ name: groupColumn, type: TEXT, nullable: true });
  }
  const taken = new Set(columns.map((column) => column.name));
  for (const column of fieldColumns) {
    if (taken.has(column.name)) continue;
    taken.add(column.name);
    columns.push(column);
  }
  return { keyColumn, groupColumn, columns };
}

/** The type at a dotted path (`critique.text`) through struct columns; `json` when the path leaves them. */
function typeAtPath(byName: ReadonlyMap<string, ColumnType>, path: string): ColumnType {
  const [head = '', ...rest] = path.split('.');
  let type: ColumnType | undefined = byName.get(head);
  for (const segment of rest) {
    if (type?.kind !== 'struct') return JSON_TYPE;
    type = type.fields.find((field) => field.name === segment)?.type;
  }
  return type ?? JSON_TYPE;
}

function propertiesOf(schema: unknown): Record<string, unknown> | undefined {
  if (!isRecord(schema)) return undefined;
  const properties = schema['properties'];
  return isRecord(properties) ? properties : undefined;
}

/** The column type of one JSON Schema (see the rules above). */
export function columnTypeOf(schema: unknown): ColumnType {
  if (!isRecord(schema)) return JSON_TYPE;
  if (['$ref', 'oneOf', 'anyOf', 'allOf'].some((key) => schema[key] !== undefined)) return JSON_TYPE;
  let type = schema['type'];
  if (Array.isArray(type)) {
    const notNull = type.filter((entry) => entry !== 'null');
    type = notNull.length === 1 ? notNull[0] : undefined;
  }
  if (type === undefined) {
    const values = Array.isArray(schema['enum']) ? schema['enum'] : 'const' in schema ? [schema['const']] : undefined;
    if (values !== undefined && values.length > 0 && values.every((value) => typeof value === 'string')) return TEXT;
    return JSON_TYPE;
  }
  switch (type) {
    case 'string':
      return TEXT;
    case 'integer':
      return { kind: 'int64' };
    case 'number':
      return { kind: 'float64' };
    case 'boolean':
      return { kind: 'bool' };
    case 'array':
      return isRecord(schema['items']) ? { kind: 'list', item: columnTypeOf(schema['items']) } : JSON_TYPE;
    case 'object': {
      const properties = propertiesOf(schema);
      if (properties === undefined || Object.keys(properties).length === 0) return JSON_TYPE;
      return {
        kind: 'struct',
        fields: Object.entries(properties).map(([name, inner]) => ({
          name,
          type: columnTypeOf(inner),
          nullable: true,
        })),
      };
    }
    default:
      return JSON_TYPE;
  }
}
