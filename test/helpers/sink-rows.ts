import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TempWorkspace } from './temp-workspace.ts';

/**
 * What the data-job sink tests share (test/integration/cli-data-sink*.test.ts): the `sentiment` prompt and its schema
 * (JSON, no re-asks, so answers the simulator breaks stay invalid), and readers of where rows end up: a LanceDB table,
 * JSONL part files, and the keys of the valid rows in the job's enriched dataset.
 */

/** schema.json of the `sentiment` prompt. */
export const SENTIMENT_SCHEMA = {
  type: 'object',
  properties: { polarity: { type: 'string', enum: ['positive', 'neutral', 'negative'] }, reason: { type: 'string' } },
  required: ['polarity', 'reason'],
  additionalProperties: false,
};

/** prompts.yaml: `sentiment` of `{{ text }}`, JSON against schema.json, `reask: { max: 0 }`. */
export const SENTIMENT_PROMPTS = [
  'prompts:',
  '  sentiment:',
  '    text: "Sentiment of: {{ text }}. Answer with JSON only."',
  '    output: { schema: schema.json }',
  '    reask: { max: 0 }',
].join('\n');

/** The rows of LanceDB table `table` under `dir`, with only `columns` read. */
export async function lanceTableRows<T>(dir: string, table: string, columns: string[]): Promise<T[]> {
  const lancedb = await import('@lancedb/lancedb');
  const db = await lancedb.connect(dir);
  try {
    const opened = await db.openTable(table);
    const rows = (await opened.query().select(columns).toArray()) as T[];
    opened.close();
    return rows;
  } finally {
    db.close();
  }
}

/** The rows of the JSONL part files in `dir`, files in name order. */
export async function jsonlPartRows(dir: string): Promise<{ id: string }[]> {
  const rows: { id: string }[] = [];
  for (const name of (await readdir(dir)).filter((file) => file.endsWith('.jsonl')).sort()) {
    for (const line of (await readFile(join(dir, name), 'utf8')).split('\n')) {
      if (line !== '') rows.push(JSON.parse(line) as { id: string });
    }
  }
  return rows;
}

/** The keys of the job's rows whose `sentiment` answer is valid (or repaired), from the enriched dataset. */
export async function validKeys(temp: TempWorkspace, job: string): Promise<string[]> {
  const text = await readFile(join(temp.jobDir(job), 'enriched.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { id: string; sentiment__status: string })
    .filter((row) => row.sentiment__status === 'valid' || row.sentiment__status === 'repaired')
    .map((row) => row.id);
}
