import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { AnswerLookup, EnrichPrompt, ManifestRowLike, SourceRowLike } from './answer-record.ts';
import { AtomicFileWriter } from './atomic-write.ts';
import { buildEnrichedRow, type EnrichedFields } from './build-enriched-row.ts';
import { EnrichedColumns } from './enriched-columns.ts';
import { IntegrationTally, type GroupTallyOptions } from './integration-report.ts';
import { isCovered, joinPromptAnswers, type JoinedSlot } from './join-prompt-answers.ts';
import { SourceRows } from './source-rows.ts';
import { writeEnrichedCsv } from './write-enriched-csv.ts';

/** `integrate.format`. */
export type EnrichedFormat = 'jsonl' | 'json' | 'csv' | 'parquet';

/** The enriched dataset's file name in the job folder when `integrate.out` is not set. */
export function enrichedFileName(format: EnrichedFormat): string {
  return `enriched.${format}`;
}

/**
 * Where the enriched dataset goes and as what, from `integrate.out` and `integrate.format`: the format given, else
 * the extension of `out` when it is one of the formats, else `jsonl`; the file given (relative to `cwd`), else
 * `enriched.<format>` in the job folder.
 */
export function resolveEnrichedTarget(
  integrate: { out?: string | undefined; format?: EnrichedFormat | undefined },
  jobDir: string,
  cwd: string = process.cwd(),
): { path: string; format: EnrichedFormat } {
  const extension = integrate.out === undefined ? '' : extname(integrate.out).slice(1).toLowerCase();
  const byExtension = (['jsonl', 'json', 'csv', 'parquet'] as const).find((format) => format === extension);
  const format = integrate.format ?? byExtension ?? 'jsonl';
  const path = integrate.out === undefined ? join(jobDir, enrichedFileName(format)) : resolve(cwd, integrate.out);
  return { path, format };
}

/**
 * Source rows per page: one answer lookup per page (its rows × prompts × samples custom_ids), and all a page holds
 * in memory. 1,000 rows × 3 prompts is 3,000 ids: one indexed query, a few MB at most.
 */
export const ENRICH_PAGE_ROWS = 1000;

export interface WriteEnrichedOptions {
  /** The prepare manifest's rows, in source order. */
  manifestRows: AsyncIterable<ManifestRowLike>;
  /** The source rows (the data file read again), in source order: each row's own fields are copied. */
  dataRows: AsyncIterable<SourceRowLike>;
  /** The store's answers, a page of custom_ids at a time. */
  answers: AnswerLookup;
  /** The prompts, in the order their fields are added to a row. */
  prompts: readonly EnrichPrompt[];
  /** The enriched file (`integrate.out`, by default `enriched.<format>` in the job folder). */
  out: string;
  format: EnrichedFormat;
  fields: EnrichedFields;
  meta: boolean;
  /** Where the keys of rows without a valid answer go, one a line; not written when absent. */
  rowsWithoutValidOut?: string;
  /** Named in the error when the data no longer matches the manifest. */
  dataPath?: string;
  /** A data job with groups: the report counts rows per group (docs/decisions/0024). */
  groups?: GroupTallyOptions | undefined;
  /**
   * Told each row once it is written, in source order (the sinks, compose/sink-runner.ts); what it throws stops the
   * write, as a failed write does.
   */
  onRow?: ((row: EnrichedRowEvent) => Promise<void>) | undefined;
}

/** One enriched row as `onRow` is told it. */
export interface EnrichedRowEvent {
  /** The row's index in the data (the manifest's). */
  index: number;
  key: string;
  /** The row's group (`data.group_by`), when the job has groups. */
  group?: string;
  row: Readonly<Record<string, unknown>>;
  /**
   * Every prompt that applies to the row has a valid or repaired answer (rows_without_valid.txt's rule), and at
   * least one does: a row no prompt applied to (`when`, its group's target reached) is not valid.
   */
  valid: boolean;
}

export interface WriteEnrichedResult {
  rows: number;
  /** The report's figures, gathered on the way: `tally.toReport(...)`. */
  tally: IntegrationTally;
}

/**
 * Join-back: each source row, in source order, with one field per prompt holding its answer (see
 * build-enriched-row.ts for the fields, join-prompt-answers.ts for the states). Streams: the manifest and the data
 * are read a page of rows at a time and the answers looked up per page, so 200,000 rows × 3 prompts never sit in
 * memory. JSONL and JSON are written in one pass; CSV and Parquet need every column before the first row, so rows
 * are spooled to a temp file beside the target first and written from it. Every file is written atomically (temp,
 * fsync, rename): a reader sees the previous file or the new one, never half of one. The same inputs give the same
 * bytes.
 */
export async function writeEnriched(options: WriteEnrichedOptions): Promise<WriteEnrichedResult> {
  await mkdir(dirname(options.out), { recursive: true });
  const tally = new IntegrationTally(options.prompts, options.groups);
  const tabular = options.format === 'csv' || options.format === 'parquet';
  // A fixed, hidden name: a spool a killed run left is replaced by the next run's (its temp files are cleaned as
  // every AtomicFileWriter's are) and then removed.
  const spoolPath = join(dirname(options.out), `.${basename(options.out)}.spool`);
  const target = new AtomicFileWriter(options.out);
  const first = tabular ? new AtomicFileWriter(spoolPath) : target;
  const withoutValid =
    options.rowsWithoutValidOut === undefined ? undefined : new AtomicFileWriter(options.rowsWithoutValidOut);
  const columns = new EnrichedColumns();
  const sink = createRowSink(first, options.format);
  try {
    await first.open();
    await withoutValid?.open();
    for await (const { row, key, index, group, lacksValid, valid } of joinRows(options, tally)) {
      if (tabular) columns.add(row);
      await sink.write(row);
      if (lacksValid) await withoutValid?.writeLine(key);
      await options.onRow?.({ index, key, ...(group === undefined ? {} : { group }), row, valid });
    }
    await sink.end();
    await first.commit();
    if (tabular) {
      await target.open();
      const rows = readSpool(spoolPath);
      if (options.format === 'csv') {
        await writeEnrichedCsv(
          target,
          columns.list.map((column) => column.name),
          rows,
        );
      } else {
        // hyparquet-writer is loaded for a parquet output only: this module is on the CLI's start-up path.
        const { writeEnrichedParquet } = await import('./write-enriched-parquet.ts');
        await writeEnrichedParquet(target, columns.list, rows);
      }
      await target.commit();
    }
    await withoutValid?.commit();
    return { rows: tally.rows, tally };
  } catch (error) {
    for (const writer of [first, target, withoutValid]) await writer?.abort();
    throw error;
  } finally {
    // Also in JSON Lines: a spool of an earlier CSV or Parquet write to the same file that was killed.
    await rm(spoolPath, { force: true });
  }
}

interface RowSink {
  write(row: Record<string, unknown>): Promise<void>;
  end(): Promise<void>;
}

/** JSONL: a row a line. JSON: one array, a row a line, streamed (a row is written when the next shows it needs a comma). */
function createRowSink(writer: AtomicFileWriter, format: EnrichedFormat): RowSink {
  if (format !== 'json') {
    return { write: (row) => writer.writeLine(JSON.stringify(row)), end: () => Promise.resolve() };
  }
  let held: string | undefined;
  return {
    async write(row) {
      await writer.writeLine(held === undefined ? '[' : `${held},`);
      held = JSON.stringify(row);
    },
    async end() {
      if (held === undefined) await writer.writeLine('[]');
      else {
        await writer.writeLine(held);
        await writer.writeLine(']');
      }
    },
  };
}

interface JoinedRow {
  row: Record<string, unknown>;
  key: string;
  index: number;
  group?: string | undefined;
  /** A wanted answer of the row is not valid or repaired: its key goes to rows_without_valid.txt. */
  lacksValid: boolean;
  /** Every wanted answer valid or repaired, and at least one: what `onRow` calls a valid row. */
  valid: boolean;
}

/** The enriched rows in source order, a page of manifest rows (and one answer lookup) at a time. */
async function* joinRows(options: WriteEnrichedOptions, tally: IntegrationTally): AsyncGenerator<JoinedRow> {
  const data = new SourceRows(options.dataRows);
  let page: ManifestRowLike[] = [];
  const flush = async function* (): AsyncGenerator<JoinedRow> {
    const ids: string[] = [];
    for (const manifestRow of page) {
      for (const prompt of options.prompts) {
        const entry = manifestRow.prompts[prompt.name];
        if (Array.isArray(entry)) ids.push(...(entry as string[]));
      }
    }
    const answers = ids.length === 0 ? new Map() : await options.answers(ids);
    for (const manifestRow of page) {
      const source = await data.rowOf(manifestRow, options.dataPath);
      const slots: JoinedSlot[][] = options.prompts.map((prompt) =>
        joinPromptAnswers(manifestRow.prompts[prompt.name], prompt.samples, answers),
      );
      const lacksValid = tally.addRow(slots, manifestRow.group);
      const row = buildEnrichedRow(source, options.prompts, slots, options);
      // A row none of whose prompts applied (every `when` false, or its group's target reached) has nothing to send.
      const answered = slots.some((promptSlots) => promptSlots.some((slot) => isCovered(slot.status)));
      const valid = !lacksValid && answered;
      yield { row, key: manifestRow.key, index: manifestRow.index, group: manifestRow.group, lacksValid, valid };
    }
    page = [];
  };
  for await (const manifestRow of options.manifestRows) {
    page.push(manifestRow);
    if (page.length >= ENRICH_PAGE_ROWS) yield* flush();
  }
  if (page.length > 0) yield* flush();
  await data.close();
}

/** The spooled rows, one JSON object a line. */
async function* readSpool(path: string): AsyncGenerator<Record<string, unknown>> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.length > 0) yield JSON.parse(line) as Record<string, unknown>;
  }
}
