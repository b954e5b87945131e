import { valueAtPath } from '../util/value-at-path.ts';
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InputError } from '../errors/index.ts';
import { AtomicFileWriter, writeFileAtomically } from '../output/atomic-write.ts';
import { countDataRows } from './count-data-rows.ts';
import type { DataFormat } from './data-row.ts';
import { detectDataFormat } from './detect-data-format.ts';
import {
  MANIFEST_FILE,
  MANIFEST_ROWS_FILE,
  PREPARE_REJECTS_FILE,
  REQUESTS_FILE,
  type ManifestPrompt,
  type ManifestRow,
  type PrepareManifest,
} from './manifest.ts';
import { DEFAULT_CUSTOM_ID_FORMAT, type PromptSet } from './prompt-spec.ts';
import { readDataRows } from './read-data-rows.ts';
import { createRowRenderer, indexWidthFor } from './render-row.ts';
import { coveredRowFields, pickRowContext } from './row-context.ts';

export interface PrepareDataOptions {
  dataPath: string;
  prompts: PromptSet;
  /** The folder the files go to (created if missing): requests.jsonl, manifest.json, manifest.rows.jsonl, prepare_rejects.jsonl. */
  outDir: string;
  /** `data.format` (auto-detected from the extension when absent) and `data.key` (the row id column). */
  data?: { format?: DataFormat | undefined; key?: string | undefined; groupBy?: string | undefined };
  /** Another name or place for the requests file (`prepare --out`); relative to `outDir`. @default 'requests.jsonl' */
  requestsFile?: string;
  /**
   * `--only FILE`: only the rows with these keys (e.g. a job's `rows_without_valid.txt`) are prepared; the others
   * are left out of the requests and the manifest altogether. Indexes and custom_ids stay those of the whole data.
   */
  onlyKeys?: ReadonlySet<string>;
  signal?: AbortSignal;
}

export interface PrepareCounts {
  /** Source rows read, rejected ones included. */
  rows: number;
  /** Source rows that could not be read (bad JSON, not an object, no or a repeated key). */
  rejectedRows: number;
  requests: number;
  /** (row, prompt) pairs that could not be rendered. */
  rejected: number;
  /** (row, prompt) pairs left out by `when`. */
  skipped: number;
}

export interface PrepareDataResult {
  requestsPath: string;
  manifestPath: string;
  manifestRowsPath: string;
  rejectsPath: string;
  counts: PrepareCounts;
  manifest: PrepareManifest;
}

/** One line of prepare_rejects.jsonl: a source row that could not be read (prompt null), or one (row, prompt). */
export interface PrepareReject {
  index: number;
  key: string;
  prompt: string | null;
  where: string;
  reason: string;
}

/**
 * `prepare`: streams the data rows through every prompt into OpenAI batch lines. Each file is written atomically
 * (temp + fsync + rename), manifest.json last, so a manifest on disk means a whole prepare. Memory stays flat: one row
 * at a time, and the manifest's rows stream to their own file. A bad row or a (row, prompt) that cannot be rendered is
 * a reject and the others go on; custom_ids are checked unique before anything is sent (CUSTOM_ID_DUPLICATE).
 */
export async function prepareData(options: PrepareDataOptions): Promise<PrepareDataResult> {
  const dataPath = resolve(options.dataPath);
  const { format } = detectDataFormat(dataPath, options.data?.format);
  const key = options.data?.key;
  const renderer = createRowRenderer(options.prompts);
  const contextFields = coveredRowFields(options.prompts);
  const groupBy = options.data?.groupBy;
  const width = indexWidthFor(await countDataRows(dataPath, format));
  await mkdir(options.outDir, { recursive: true });
  const requestsPath = resolve(options.outDir, options.requestsFile ?? REQUESTS_FILE);
  const manifestPath = join(options.outDir, MANIFEST_FILE);
  const manifestRowsPath = join(options.outDir, MANIFEST_ROWS_FILE);
  const rejectsPath = join(options.outDir, PREPARE_REJECTS_FILE);
  const requests = new AtomicFileWriter(requestsPath);
  const rows = new AtomicFileWriter(manifestRowsPath);
  const rejects = new AtomicFileWriter(rejectsPath);
  const writers = [requests, rows, rejects];
  // The default format is injective (an id ends in _<digits>[_s<digits>], so it parses back to one prompt, index and
  // sample); any other format is checked with a set of the ids seen.
  const seen = options.prompts.customIdFormat === DEFAULT_CUSTOM_ID_FORMAT ? undefined : new Set<string>();
  const counts: PrepareCounts = { rows: 0, rejectedRows: 0, requests: 0, rejected: 0, skipped: 0 };
  const perPrompt = new Map(
    options.prompts.prompts.map((prompt) => [prompt.name, { rows: 0, requests: 0, skipped: 0, rejected: 0 }]),
  );
  try {
    for (const writer of writers) await writer.open();
    for await (const result of readDataRows(dataPath, { format, key, signal: options.signal })) {
      if (options.onlyKeys !== undefined && (!result.ok || !options.onlyKeys.has(result.value.key))) continue;
      counts.rows += 1;
      if (!result.ok) {
        const { reject } = result;
        counts.rejectedRows += 1;
        const rowKey = `#${String(reject.index)}`;
        await rejects.writeLine(
          JSON.stringify({
            index: reject.index,
            key: rowKey,
            prompt: null,
            where: reject.where,
            reason: reject.reason,
          }),
        );
        const entry: ManifestRow = { index: reject.index, key: rowKey, prompts: {} };
        for (const prompt of options.prompts.prompts) {
          entry.prompts[prompt.name] = { rejected: `${reject.where}: ${reject.reason}` };
          (perPrompt.get(prompt.name) as { rejected: number }).rejected += 1;
        }
        await rows.writeLine(JSON.stringify(entry));
        continue;
      }
      const dataRow = result.value;
      const entry: ManifestRow = { index: dataRow.index, key: dataRow.key, prompts: {} };
      const context = contextFields.length === 0 ? undefined : pickRowContext(dataRow.row, contextFields);
      if (context !== undefined) entry.context = context;
      if (groupBy !== undefined) entry.group = groupText(valueAtPath(dataRow.row, groupBy));
      for (const prompt of options.prompts.prompts) {
        const stats = perPrompt.get(prompt.name) as {
          rows: number;
          requests: number;
          skipped: number;
          rejected: number;
        };
        const outcome = renderer.renderLines(prompt, dataRow, width);
        if (outcome.kind === 'skipped') {
          stats.skipped += 1;
          counts.skipped += 1;
          entry.prompts[prompt.name] = { skipped: true };
          continue;
        }
        if (outcome.kind === 'rejected') {
          stats.rejected += 1;
          counts.rejected += 1;
          entry.prompts[prompt.name] = { rejected: outcome.reason };
          const reject: PrepareReject = {
            index: dataRow.index,
            key: dataRow.key,
            prompt: prompt.name,
            where: dataRow.where,
            reason: outcome.reason,
          };
          await rejects.writeLine(JSON.stringify(reject));
          continue;
        }
        stats.rows += 1;
        const ids: string[] = [];
        for (const { customId, line } of outcome.lines) {
          if (seen !== undefined) {
            if (seen.has(customId)) throw duplicateError(customId, dataRow.where, options.prompts);
            seen.add(customId);
          }
          ids.push(customId);
          await requests.writeLine(line);
        }
        stats.requests += ids.length;
        counts.requests += ids.length;
        entry.prompts[prompt.name] = ids;
      }
      await rows.writeLine(JSON.stringify(entry));
    }
    for (const writer of writers) await writer.commit();
  } catch (error) {
    for (const writer of writers) await writer.abort();
    throw error;
  }
  const manifest: PrepareManifest = {
    version: 1,
    data: { path: dataPath, format, key: key ?? null, rows: counts.rows },
    prompts: options.prompts.prompts.map((prompt): ManifestPrompt => {
      const plan = renderer.plans.get(prompt.name);
      return {
        name: prompt.name,
        templateHash: sha256(JSON.stringify([prompt.system ?? null, prompt.template])),
        schemaHash: prompt.output.schema === undefined ? null : sha256(JSON.stringify(prompt.output.schema)),
        ...(perPrompt.get(prompt.name) as { rows: number; requests: number; skipped: number; rejected: number }),
        jsonRequest: plan?.kind ?? 'none',
        jsonRequestNotes: plan?.notes ?? [],
      };
    }),
    promptSet: {
      hash: options.prompts.hash,
      sourceFile: options.prompts.sourceFile,
      customIdFormat: options.prompts.customIdFormat,
    },
    rowsFile: MANIFEST_ROWS_FILE,
    requestsFile: requestsPath,
    rejectsFile: PREPARE_REJECTS_FILE,
  };
  await writeFileAtomically(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  return { requestsPath, manifestPath, manifestRowsPath, rejectsPath, counts, manifest };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function duplicateError(customId: string, where: string, set: PromptSet): InputError {
  return new InputError(
    'CUSTOM_ID_DUPLICATE',
    `custom_id "${customId}" (${where}) was already made for an earlier row; custom_id format ${JSON.stringify(set.customIdFormat)} in ${set.sourceFile} must make ids unique (use {index}, or a data.key whose values are unique)`,
    { context: { file: set.sourceFile, key: 'custom_id', customId } },
  );
}

/** `data.group_by`'s value in a row as text; `""` when absent or not a string, number or boolean. */
function groupText(value: unknown): string {
  return typeof value === 'string'
    ? value
    : typeof value === 'number' || typeof value === 'boolean'
      ? String(value)
      : '';
}
