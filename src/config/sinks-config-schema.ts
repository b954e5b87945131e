import { z } from 'zod';

/**
 * Data jobs: `sinks:`, where valid rows go as they arrive (issue 13, SPEC section 12). One flat strict object per
 * entry, `type` saying which keys apply (a key of another type is refused naming it), so a typo or a misplaced key
 * is an error naming `sinks.N.key`. Names default to the type (`lancedb`), numbered when a type repeats
 * (`jsonl-1`, `jsonl-2`), and must be unique: the sink runner's outbox and `batchpilot sink --sink NAME` use them.
 */

const SINK_TYPES = ['lancedb', 'jsonl', 'http'] as const;

export type SinkType = (typeof SINK_TYPES)[number];

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Keys only one type takes; every other key applies to all. */
const TYPE_KEYS: Record<SinkType, readonly string[]> = {
  lancedb: ['uri', 'table', 'optimize_every', 'vectors'],
  jsonl: ['dir'],
  http: ['url', 'headers', 'timeout_ms'],
};

const vectorsSchema = z
  .object({
    /** The row field (a dotted path, e.g. `critique.text`) whose text is embedded. */
    from: z.string().min(1),
    /**
     * The table's vector column (a fixed-size list of float32, its size the embedding's dimension).
     * @default 'vector'
     */
    column: z.string().min(1).default('vector'),
    /** The embeddings model, asked through the job's provider (`/v1/embeddings`). */
    model: z.string().min(1),
  })
  .strict();

const sinkEntrySchema = z
  .object({
    /** `lancedb` (a table, upserted on `key`), `jsonl` (part files) or `http` (batched POSTs). */
    type: z.enum(SINK_TYPES),
    /**
     * The sink's name in the job (outbox, reports, `batchpilot sink --sink NAME`): letters, digits, `_`, `.`, `-`.
     * Unique in a job.
     * @default the type, or `${type}-${n}` when several sinks share a type
     */
    name: z.string().regex(NAME_PATTERN).describe('a name of letters, digits, _, . and -').optional(),
    /**
     * The row field holding each row's key in the target (the upsert key of a table).
     * @default the row key: `data.key`, else the row index
     */
    key: z.string().min(1).optional(),
    /**
     * `valid`: rows whose every applicable prompt is valid or repaired. `all`: every finished row, with its statuses.
     * @default 'valid'
     */
    rows: z.enum(['valid', 'all']).default('valid'),
    /** Fields of the enriched row the sink gets (dotted paths allowed); unset, the whole row. */
    fields: z.array(z.string().min(1)).min(1).optional(),
    /**
     * Rows per batch (one table commit, one part file, one POST). From 1 to 1,000,000.
     * @default 100
     */
    every: z.number().int().min(1).max(1_000_000).default(100),
    /**
     * A batch is written this many seconds after its first row even when not full. Minimum: 0.1. Unset: only `every`
     * (and the end of the job) closes a batch.
     */
    every_seconds: z.number().min(0.1).optional(),
    /**
     * How long a sink may stay unavailable (refused, unreachable, 429/5xx) before the job stops. Meanwhile its batch
     * is retried with backoff and a realtime run holds its sending (nothing is dropped); then the job stops,
     * interrupted, with every row kept for `resume` (or `batchpilot sink JOB`). From 1 s.
     * @default 300
     */
    max_wait_s: z.number().min(1).default(300),
    /**
     * lancedb: the database, a folder (relative to the working folder) or any URI LanceDB takes (`s3://...`).
     * @default './lancedb'
     */
    uri: z.string().min(1).optional(),
    /**
     * lancedb: the table, created when missing.
     * @default the sink's name
     */
    table: z.string().min(1).optional(),
    /**
     * lancedb: compaction (`optimize`) after every N writes, from this writer only, never two at once. 0 = never.
     * @default 10
     */
    optimize_every: z.number().int().min(0).optional(),
    /** lancedb: embed a text field of each row into a vector column. */
    vectors: vectorsSchema.optional(),
    /** jsonl: the folder of the part files (`part-000001.jsonl`, one per batch), relative to the working folder. */
    dir: z.string().min(1).optional(),
    /** http: where batches are POSTed (`{batch_no, rows}` as JSON). http or https. */
    url: z
      .url({ protocol: /^https?$/ })
      .describe('an http or https URL such as "https://example.com/ingest"')
      .optional(),
    /**
     * http: extra request headers. A value may name environment variables as `${NAME}` (filled when the sink opens),
     * which keeps a token out of the config the job stores; header values never appear in errors or logs.
     */
    headers: z.record(z.string(), z.string()).optional(),
    /**
     * http: timeout of one POST, in milliseconds. Minimum: 100.
     * @default 30000
     */
    timeout_ms: z.number().int().min(100).optional(),
  })
  .strict()
  .superRefine((entry, context) => {
    for (const [type, keys] of Object.entries(TYPE_KEYS)) {
      if (type === entry.type) continue;
      for (const key of keys) {
        if ((entry as Record<string, unknown>)[key] === undefined) continue;
        context.addIssue({
          code: 'custom',
          message: `applies to type: ${type} only, not ${entry.type}; remove it`,
          path: [key],
          input: (entry as Record<string, unknown>)[key],
        });
      }
    }
    const required = entry.type === 'jsonl' ? 'dir' : entry.type === 'http' ? 'url' : undefined;
    if (required !== undefined && (entry as Record<string, unknown>)[required] === undefined) {
      context.addIssue({
        code: 'custom',
        message: `is required for type: ${entry.type}`,
        path: [required],
        input: undefined,
      });
    }
  });

type SinkEntry = z.output<typeof sinkEntrySchema>;

interface SinkCommon {
  name: string;
  key?: string | undefined;
  rows: 'valid' | 'all';
  fields?: readonly string[] | undefined;
  every: number;
  every_seconds?: number | undefined;
  /** Unset (a config made in code): the sink runner's own bound. */
  max_wait_s?: number | undefined;
}

/** A LanceDB sink with its defaults filled in. */
export interface LanceDbSinkConfig extends SinkCommon {
  type: 'lancedb';
  uri: string;
  table: string;
  optimize_every: number;
  vectors?: z.output<typeof vectorsSchema> | undefined;
}

/** A JSONL part-files sink. */
export interface JsonlSinkConfig extends SinkCommon {
  type: 'jsonl';
  dir: string;
}

/** A webhook sink. */
export interface HttpSinkConfig extends SinkCommon {
  type: 'http';
  url: string;
  headers: Readonly<Record<string, string>>;
  timeout_ms: number;
}

/** One entry of `sinks:`, validated, named and defaulted. */
export type SinkConfig = LanceDbSinkConfig | JsonlSinkConfig | HttpSinkConfig;

/** The names of unnamed sinks: the type, or `${type}-${n}` (n from 1 in list order) when the type repeats. */
function defaultNames(entries: readonly SinkEntry[]): string[] {
  const perType = new Map<string, number>();
  for (const entry of entries) perType.set(entry.type, (perType.get(entry.type) ?? 0) + 1);
  const seen = new Map<string, number>();
  return entries.map((entry) => {
    const n = (seen.get(entry.type) ?? 0) + 1;
    seen.set(entry.type, n);
    return (perType.get(entry.type) ?? 0) > 1 ? `${entry.type}-${String(n)}` : entry.type;
  });
}

function withDefaults(entry: SinkEntry, name: string): SinkConfig {
  const common: SinkCommon = {
    name,
    key: entry.key,
    rows: entry.rows,
    fields: entry.fields,
    every: entry.every,
    every_seconds: entry.every_seconds,
    max_wait_s: entry.max_wait_s,
  };
  switch (entry.type) {
    case 'lancedb':
      return {
        ...common,
        type: 'lancedb',
        uri: entry.uri ?? './lancedb',
        table: entry.table ?? name,
        optimize_every: entry.optimize_every ?? 10,
        vectors: entry.vectors,
      };
    case 'jsonl':
      return { ...common, type: 'jsonl', dir: entry.dir ?? '' };
    case 'http':
      return {
        ...common,
        type: 'http',
        url: entry.url ?? '',
        headers: entry.headers ?? {},
        timeout_ms: entry.timeout_ms ?? 30_000,
      };
  }
}

/** The `sinks:` list of a data job: each entry checked for its type, named (by default the type) and unique. */
export const sinksConfigSchema = z
  .array(sinkEntrySchema)
  .superRefine((entries, context) => {
    const names = defaultNames(entries);
    // One writer per table (decision 0025): two sinks on one table would race their upserts and compactions.
    const tables = new Map<string, number>();
    entries.forEach((entry, index) => {
      if (entry.type !== 'lancedb') return;
      const table = `${entry.uri ?? './lancedb'}\u0000${entry.table ?? entry.name ?? names[index] ?? ''}`;
      const first = tables.get(table);
      if (first === undefined) {
        tables.set(table, index);
        return;
      }
      context.addIssue({
        code: 'custom',
        message: `names the table of sinks.${String(first)} again; one sink writes a table, so give it another table`,
        path: [index, 'table'],
        input: entry.table,
      });
    });
    const firstAt = new Map<string, number>();
    entries.forEach((entry, index) => {
      const name = entry.name ?? names[index] ?? entry.type;
      const first = firstAt.get(name);
      if (first === undefined) {
        firstAt.set(name, index);
        return;
      }
      context.addIssue({
        code: 'custom',
        message: `is "${name}", already the name of sinks.${String(first)}; give each sink its own name`,
        path: [index, 'name'],
        input: entry.name,
      });
    });
  })
  .transform((entries): SinkConfig[] => {
    const names = defaultNames(entries);
    return entries.map((entry, index) => withDefaults(entry, entry.name ?? names[index] ?? entry.type));
  });
