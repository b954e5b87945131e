import type { ItemFilter } from './item-browse-store.ts';

/** The SQL dialects the stores speak, for what differs in a filter: placeholders, JSON, substring search. */
export interface FilterDialect {
  /** The placeholder of the `n`th value (1-based): `?` or `$n`. */
  placeholder(n: number): string;
  /** The `code` member of the JSON text in `error_json`. */
  errorCode: string;
  /** Whether `custom_id` holds the text of placeholder `p`. */
  idContains(p: string): string;
}

export const SQLITE_FILTER: FilterDialect = {
  placeholder: () => '?',
  errorCode: "json_extract(error_json, '$.code')",
  idContains: (p) => `instr(custom_id, ${p}) > 0`,
};

export const POSTGRES_FILTER: FilterDialect = {
  placeholder: (n) => `$${String(n)}`,
  errorCode: "(error_json::json ->> 'code')",
  idContains: (p) => `strpos(custom_id, ${p}) > 0`,
};

/**
 * The conditions of `filter` on `items`, after `firstValue - 1` values already bound: `AND ...` clauses (or `''`)
 * and their values in order. The same filter always gives the same SQL, so a statement can be kept per shape.
 */
export function itemFilterClause(
  filter: ItemFilter,
  dialect: FilterDialect,
  firstValue: number,
): { sql: string; values: unknown[] } {
  const conditions: string[] = [];
  const values: unknown[] = [];
  const next = (value: unknown): string => {
    values.push(value);
    return dialect.placeholder(firstValue + values.length - 1);
  };
  if (filter.state !== undefined) conditions.push(`state = ${next(filter.state)}`);
  if (filter.group !== undefined) {
    conditions.push(filter.group === '' ? 'group_key IS NULL' : `group_key = ${next(filter.group)}`);
  }
  if (filter.prompt !== undefined) conditions.push(`prompt = ${next(filter.prompt)}`);
  if (filter.errorCode !== undefined) conditions.push(`${dialect.errorCode} = ${next(filter.errorCode)}`);
  if (filter.checkStatus !== undefined) conditions.push(`check_status = ${next(filter.checkStatus)}`);
  if (filter.minAttempts !== undefined) conditions.push(`attempts >= ${next(filter.minAttempts)}`);
  if (filter.idContains !== undefined && filter.idContains !== '') {
    conditions.push(dialect.idContains(next(filter.idContains)));
  }
  return { sql: conditions.map((condition) => ` AND ${condition}`).join(''), values };
}
