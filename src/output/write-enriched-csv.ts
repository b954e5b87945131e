import type { AtomicFileWriter } from './atomic-write.ts';

/**
 * CSV of the enriched rows (RFC 4180): a header of every column, then one line per row. Nested values (objects,
 * arrays) are their JSON text; null and absent are empty cells (CSV cannot tell them from an empty string).
 */
export async function writeEnrichedCsv(
  writer: AtomicFileWriter,
  columns: readonly string[],
  rows: AsyncIterable<Record<string, unknown>>,
): Promise<void> {
  await writer.writeLine(columns.map(quoteCell).join(','));
  for await (const row of rows) await writer.writeLine(columns.map((name) => formatCell(row[name])).join(','));
}

function formatCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return quoteCell(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return quoteCell(JSON.stringify(value));
}

function quoteCell(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
