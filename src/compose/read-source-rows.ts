import type { SourceRowLike } from '../output/answer-record.ts';
import type { DataFormat } from '../prep/data-row.ts';
import { readDataRows } from '../prep/read-data-rows.ts';
import type { DataJobRecord } from './data-job-record.ts';

/**
 * The readable rows of a data job's data file, read again as prepare read them (its format and key), for join-back
 * and `validate JOB`: rows it could not read are in the manifest as rejected everywhere.
 */
export async function* readSourceRows(record: DataJobRecord): AsyncIterable<SourceRowLike> {
  const format = record.dataFormat as DataFormat;
  for await (const result of readDataRows(record.dataPath, {
    format,
    ...(record.dataKey === null ? {} : { key: record.dataKey }),
  })) {
    if (result.ok) yield result.value;
  }
}
