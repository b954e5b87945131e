/**
 * The columns of a tabular enriched file (CSV, Parquet), gathered over every row in a first pass: names in the order
 * they are first met (deterministic for the same inputs), and per column the narrowest type that holds all its
 * values, for Parquet.
 */
export type ColumnKind = 'null' | 'boolean' | 'int' | 'double' | 'string' | 'json';

export class EnrichedColumns {
  private readonly kinds = new Map<string, ColumnKind>();

  /** Widens the columns by one row. */
  add(row: Readonly<Record<string, unknown>>): void {
    for (const [name, value] of Object.entries(row)) {
      const kind = kindOf(value);
      const known = this.kinds.get(name);
      this.kinds.set(name, known === undefined ? kind : widen(known, kind));
    }
  }

  get list(): { name: string; kind: ColumnKind }[] {
    return [...this.kinds].map(([name, kind]) => ({ name, kind }));
  }
}

function kindOf(value: unknown): ColumnKind {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return Number.isSafeInteger(value) ? 'int' : 'double';
  if (typeof value === 'string') return 'string';
  return 'json';
}

function widen(known: ColumnKind, next: ColumnKind): ColumnKind {
  if (known === next || next === 'null') return known;
  if (known === 'null') return next;
  if ((known === 'int' && next === 'double') || (known === 'double' && next === 'int')) return 'double';
  return 'json';
}
