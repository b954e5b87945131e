import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { InputError } from '../errors/index.ts';

/** A Parquet value made JSON-safe: an INT64 is a number when it fits exactly, else its decimal text. */
function toJsonSafe(value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (Array.isArray(value)) return value.map(toJsonSafe);
  if (value !== null && typeof value === 'object' && !(value instanceof Date) && !(value instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, toJsonSafe(item)]));
  }
  return value;
}

/** The rows of a Parquet file as objects, one row group in memory at a time. */
export async function* readParquetRecords(path: string): AsyncIterable<{ where: string; value: unknown }> {
  let file: Awaited<ReturnType<typeof asyncBufferFromFile>>;
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  try {
    file = await asyncBufferFromFile(path);
    metadata = await parquetMetadataAsync(file);
  } catch (error) {
    throw new InputError('INPUT_UNREADABLE', `${path}: not a readable Parquet file (${(error as Error).message})`, {
      cause: error,
      context: { file: path },
    });
  }
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    const rows = await parquetReadObjects({ file, metadata, rowStart, rowEnd });
    for (const [offset, row] of rows.entries()) {
      yield { where: `row ${String(rowStart + offset + 1)}`, value: toJsonSafe(row) };
    }
    rowStart = rowEnd;
  }
}

/** The row count a Parquet file's footer states. */
export async function countParquetRows(path: string): Promise<number> {
  const metadata = await parquetMetadataAsync(await asyncBufferFromFile(path));
  return Number(metadata.num_rows);
}
