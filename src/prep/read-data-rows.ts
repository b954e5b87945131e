import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { JSONParser } from '@streamparser/json-node';
import { parse as parseCsv } from 'csv-parse';
import { InputError } from '../errors/index.ts';
import { openInputFile, createUnreadableError } from '../input/open-input-file.ts';
import type { DataFormat, DataRowReject, DataRowResult } from './data-row.ts';
import { detectDataFormat } from './detect-data-format.ts';
import { openDataText } from './open-data-text.ts';
import { readParquetRecords } from './read-parquet-records.ts';

export interface ReadDataRowsOptions {
  /** Auto-detected from the extension when absent. */
  format?: DataFormat | undefined;
  /** The column holding each row's stable id; without it the 0-based index is the key. */
  key?: string | undefined;
  signal?: AbortSignal | undefined;
}

/** A source record before it becomes a row: its value, or why it cannot be one. */
type SourceRecord = { where: string; value: unknown; raw?: string } | { where: string; error: string; raw?: string };

const RAW_SHOWN = 200;

/**
 * Streams the rows of a data file, one at a time, in source order: JSONL (one object per line), a JSON array of
 * objects (streamed by @streamparser/json, never parsed whole), CSV with a header row (csv-parse; quoted newlines
 * kept) and Parquet (hyparquet, one row group at a time). A record that is not an object, cannot be parsed, lacks
 * `key` or repeats one is a reject naming where it is and why; the rows after it go on. A file that cannot be read
 * at all (or a JSON document that is not an array, or breaks off) is an `InputError`.
 */
export async function* readDataRows(path: string, options: ReadDataRowsOptions = {}): AsyncIterable<DataRowResult> {
  const { format, gzip } = detectDataFormat(path, options.format);
  await (await openInputFile(path)).close();
  const records: AsyncIterable<SourceRecord> =
    format === 'parquet' ? readParquetRecords(path) : readTextRecords(path, format, gzip);
  const seenKeys = options.key === undefined ? undefined : new Set<string>();
  let index = 0;
  for await (const record of records) {
    options.signal?.throwIfAborted();
    const position = index;
    index += 1;
    const fail = (reason: string): { ok: false; reject: DataRowReject } => ({
      ok: false,
      reject: {
        index: position,
        where: record.where,
        reason,
        ...(record.raw === undefined ? {} : { raw: record.raw.slice(0, RAW_SHOWN) }),
      },
    });
    if ('error' in record) {
      yield fail(record.error);
      continue;
    }
    const value = record.value;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      yield fail(`expected an object of fields, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`);
      continue;
    }
    const row = value as Record<string, unknown>;
    let key = String(position);
    if (options.key !== undefined && seenKeys !== undefined) {
      const keyValue = row[options.key];
      if (typeof keyValue !== 'string' && typeof keyValue !== 'number' && typeof keyValue !== 'bigint') {
        yield fail(`the key field "${options.key}" (data.key) is missing or not a string or number`);
        continue;
      }
      key = String(keyValue);
      if (seenKeys.has(key)) {
        yield fail(`the key "${key}" (field "${options.key}") repeats an earlier row's; keys must be unique`);
        continue;
      }
      seenKeys.add(key);
    }
    yield { ok: true, value: { index: position, key, row, where: record.where } };
  }
}

function readTextRecords(path: string, format: DataFormat, gzip: boolean): AsyncIterable<SourceRecord> {
  const stream = openDataText(path, gzip);
  if (format === 'jsonl') return readJsonlRecords(path, stream);
  if (format === 'json') return readJsonArrayRecords(path, stream);
  return readCsvRecords(path, stream);
}

async function* readJsonlRecords(path: string, stream: Readable): AsyncIterable<SourceRecord> {
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let lineNo = 0;
  try {
    for await (const line of lines) {
      lineNo += 1;
      if (line.trim() === '') continue;
      const where = `line ${String(lineNo)}`;
      try {
        yield { where, value: JSON.parse(line) as unknown };
      } catch (error) {
        yield { where, error: `not valid JSON (${(error as Error).message})`, raw: line };
      }
    }
  } catch (error) {
    throw createUnreadableError(path, error);
  } finally {
    stream.destroy();
  }
}

async function* readJsonArrayRecords(path: string, stream: Readable): AsyncIterable<SourceRecord> {
  // keepStack false: elements already emitted are dropped, so memory holds one element, not the array.
  const parser = new JSONParser({ paths: ['$.*'], keepStack: false });
  stream.on('error', (error) => parser.destroy(error));
  stream.pipe(parser);
  let count = 0;
  try {
    for await (const info of parser as AsyncIterable<{ value: unknown; key?: unknown }>) {
      count += 1;
      if (typeof info.key !== 'number') {
        throw new InputError(
          'INPUT_UNREADABLE',
          `${path}: a .json data file must hold one array of row objects ([{...}, {...}]); its top level is an object (use .jsonl for one object per line)`,
          { context: { file: path } },
        );
      }
      yield { where: `record ${String(count)}`, value: info.value };
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('E')) throw createUnreadableError(path, error);
    throw new InputError(
      'INPUT_UNREADABLE',
      `${path}: invalid JSON after record ${String(count)} (${(error as Error).message}); the array cannot be read past it`,
      { cause: error, context: { file: path } },
    );
  } finally {
    stream.destroy();
    parser.destroy();
  }
}

async function* readCsvRecords(path: string, stream: Readable): AsyncIterable<SourceRecord> {
  // Arrays, not `columns: true`: a record with the wrong field count is then a reject of ours, in its place in the
  // order, rather than an error the parser reports out of turn.
  const parser = parseCsv({ bom: true, skip_empty_lines: true, info: true, relax_column_count: true });
  stream.on('error', (error) => parser.destroy(error));
  stream.pipe(parser);
  let header: string[] | undefined;
  let count = 0;
  try {
    for await (const entry of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (header === undefined) {
        header = entry.record;
        continue;
      }
      count += 1;
      const where = `record ${String(count)} (line ${String(entry.info.lines)})`;
      if (entry.record.length !== header.length) {
        yield {
          where,
          error: `has ${String(entry.record.length)} fields, the header row ${String(header.length)}`,
          raw: entry.record.join(','),
        };
        continue;
      }
      const names = header;
      yield { where, value: Object.fromEntries(entry.record.map((value, column) => [names[column], value])) };
    }
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('E')) throw createUnreadableError(path, error);
    throw new InputError('INPUT_UNREADABLE', `${path}: unreadable CSV (${(error as Error).message})`, {
      cause: error,
      context: { file: path },
    });
  } finally {
    stream.destroy();
  }
}
