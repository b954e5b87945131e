import { InputError } from '../errors/index.ts';
import type { DataFormat } from './data-row.ts';

const BY_EXTENSION: Record<string, DataFormat> = {
  jsonl: 'jsonl',
  ndjson: 'jsonl',
  json: 'json',
  csv: 'csv',
  parquet: 'parquet',
};

/** The data format and whether the file is gzipped, from the name (`posts.jsonl.gz` -> jsonl, gzipped). */
export function detectDataFormat(path: string, format?: DataFormat): { format: DataFormat; gzip: boolean } {
  const lower = path.toLowerCase();
  const gzip = lower.endsWith('.gz');
  const name = gzip ? lower.slice(0, -3) : lower;
  const detected = format ?? BY_EXTENSION[name.slice(name.lastIndexOf('.') + 1)];
  if (detected === undefined) {
    throw new InputError(
      'INPUT_UNREADABLE',
      `cannot tell the data format of ${path} from its extension; name it .jsonl, .ndjson, .json, .csv or .parquet (.gz for the text ones), or set data.format`,
      { context: { file: path, key: 'data.format' } },
    );
  }
  if (gzip && detected === 'parquet') {
    throw new InputError('INPUT_UNREADABLE', `${path}: a Parquet file is compressed inside; do not gzip it`, {
      context: { file: path },
    });
  }
  return { format: detected, gzip };
}
