import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import type { AtomicFileWriter } from './atomic-write.ts';
import type { ColumnKind } from './enriched-columns.ts';

/** The writer's own schema type (it bundles a hyparquet of its own, whose types differ from ours a little). */
type SchemaElement = ConstructorParameters<typeof ParquetWriter>[0]['schema'][number];

/** Rows per Parquet row group: what is held in memory at once while writing. */
export const PARQUET_ROW_GROUP = 10_000;

/** A ByteWriter whose bytes go to the file after each row group, so the buffer never holds more than one group. */
class FileSinkWriter extends ByteWriter {
  private readonly sink: AtomicFileWriter;

  constructor(sink: AtomicFileWriter) {
    super(1 << 20);
    this.sink = sink;
  }

  flush(): Promise<void> {
    const bytes = this.getBytes().slice();
    this.index = 0;
    return this.sink.writeBytes(bytes);
  }
}

const SCHEMA: Record<ColumnKind, Omit<SchemaElement, 'name'>> = {
  null: { type: 'BYTE_ARRAY', converted_type: 'UTF8' },
  boolean: { type: 'BOOLEAN' },
  int: { type: 'INT64' },
  double: { type: 'DOUBLE' },
  string: { type: 'BYTE_ARRAY', converted_type: 'UTF8' },
  json: { type: 'BYTE_ARRAY', converted_type: 'JSON' },
};

/**
 * Parquet of the enriched rows through hyparquet-writer: one optional column per field, typed from every row's values
 * (whole numbers INT64, other numbers DOUBLE, text UTF8, nested or mixed values JSON), written a row group at a time.
 */
export async function writeEnrichedParquet(
  sink: AtomicFileWriter,
  columns: readonly { name: string; kind: ColumnKind }[],
  rows: AsyncIterable<Record<string, unknown>>,
): Promise<void> {
  const schema: SchemaElement[] = [
    { name: 'root', num_children: columns.length },
    ...columns.map(({ name, kind }) => ({ name, ...SCHEMA[kind], repetition_type: 'OPTIONAL' as const })),
  ];
  const writer = new FileSinkWriter(sink);
  const parquet = new ParquetWriter({ writer, schema, createdBy: 'batchpilot' });
  let group: Record<string, unknown>[] = [];
  const writeGroup = async (): Promise<void> => {
    if (group.length === 0) return;
    const columnData = columns.map(({ name, kind }) => ({
      name,
      data: group.map((row) => toParquetValue(row[name], kind)),
    }));
    group = [];
    await parquet.write({ columnData, rowGroupSize: PARQUET_ROW_GROUP });
  };
  for await (const row of rows) {
    group.push(row);
    if (group.length >= PARQUET_ROW_GROUP) await writeGroup();
  }
  await writeGroup();
  await parquet.finish();
  await writer.flush();
}

function toParquetValue(value: unknown, kind: ColumnKind): unknown {
  if (value === null || value === undefined) return null;
  if (kind === 'int') return BigInt(value as number);
  return value;
}
