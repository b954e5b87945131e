import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/**
 * One source row in the manifest: its key and, per prompt, its custom_ids (one per sample), or why it has none. A
 * source row that could not be read has the key `#<index>` and `{ rejected }` for every prompt.
 */
export interface ManifestRow {
  index: number;
  key: string;
  prompts: Record<string, string[] | { skipped: true } | { rejected: string }>;
  /**
   * The row's fields that `covers: "row.field"` checks read, as a partial row (`{ required_dimensions: [...] }`), so
   * answers are checked without the data file (which may change after prepare). Absent when no prompt has one.
   */
  context?: Record<string, unknown>;
  /** The row's group (`data.group_by`'s value as text; `""` when the row has none). Absent without `data.group_by`. */
  group?: string;
}

/** Per prompt, in the manifest. */
export interface ManifestPrompt {
  name: string;
  /** sha256 of the template text and the system message. */
  templateHash: string;
  schemaHash: string | null;
  /** Rows the prompt made requests for. */
  rows: number;
  requests: number;
  /** Rows its `when` left out. */
  skipped: number;
  /** Rows it could not render (or that could not be read). */
  rejected: number;
  /** How the requests ask for JSON: json_schema (strict), json_object, prompt, or none (text). */
  jsonRequest: string;
  /** What was changed to make the schema strict, or why it could not be. */
  jsonRequestNotes: string[];
}

/**
 * Written by prepare, read by join-back and validate. `rows` (per source row, in source order) is not in
 * `manifest.json`: it streams to `rowsFile` (`manifest.rows.jsonl`, one `ManifestRow` per line) at every size,
 * so 200,000 rows never sit in one heap; read it with `readManifestRows`.
 */
export interface PrepareManifest {
  version: 1;
  data: { path: string; format: string; key: string | null; rows: number };
  prompts: ManifestPrompt[];
  /** The prompt set's hash (`PromptSet.hash`) and its file. */
  promptSet: { hash: string; sourceFile: string; customIdFormat: string };
  /** Beside manifest.json. */
  rowsFile: string;
  requestsFile: string;
  rejectsFile: string;
}

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_ROWS_FILE = 'manifest.rows.jsonl';
export const REQUESTS_FILE = 'requests.jsonl';
export const PREPARE_REJECTS_FILE = 'prepare_rejects.jsonl';

/** The manifest's rows, streamed in source order, from its file or from a stream of its text. */
export async function* readManifestRows(source: string | NodeJS.ReadableStream): AsyncIterable<ManifestRow> {
  const input = typeof source === 'string' ? createReadStream(source) : source;
  const lines = createInterface({ input, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line !== '') yield JSON.parse(line) as ManifestRow;
  }
}
