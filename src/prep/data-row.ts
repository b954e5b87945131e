/** One source row of a data job, as `prepare` reads it (JSONL line, JSON array element, CSV record, Parquet row). */
export interface DataRow {
  /** 0-based position in the source. */
  index: number;
  /** `data.key`'s value as text, else `String(index)`. */
  key: string;
  row: Record<string, unknown>;
  /** For messages: 'line 12' | 'row 12' | 'record 12' (1-based, as an editor shows it). */
  where: string;
}

/** A source row that cannot be used; the others go on. */
export interface DataRowReject {
  index: number;
  where: string;
  reason: string;
  /** The start of the raw text, when there is one. */
  raw?: string;
}

export type DataRowResult = { ok: true; value: DataRow } | { ok: false; reject: DataRowReject };

export type DataFormat = 'jsonl' | 'json' | 'csv' | 'parquet';

export const DATA_FORMATS: readonly DataFormat[] = ['jsonl', 'json', 'csv', 'parquet'];
