/**
 * What a sink is built with besides its config: the job, the working folder, the shape of the rows to come (so a
 * table can be made before the first row), and an embedder when the sink embeds text. All injected: a sink reads no
 * store, calls no provider, reads no environment of its own.
 */

import type { Dispatcher } from 'undici';

/** Texts in, one vector each out, in the same order (the runner builds it over the job's provider, `/v1/embeddings`). */
export type Embed = (texts: string[]) => Promise<number[][]>;

/** One prompt of the job as the rows will hold it. */
export interface PromptColumnHint {
  name: string;
  /** The answer's JSON Schema (`format: json` prompts with a schema); absent, the answer is stored as text. */
  schema?: Readonly<Record<string, unknown>> | undefined;
  /** More than 1: the row holds an array of answers (one per sample). @default 1 */
  samples?: number | undefined;
}

/**
 * The shape of the enriched rows the sink will get: the source fields (in the order they are first seen) and the
 * prompts (in the prompts' order), each with what is known of its type.
 */
export interface RowSchemaHint {
  /** Source field names, in order. */
  sourceFields: readonly string[];
  /** A JSON Schema of a source row (its `properties` type the source fields); absent, source fields are text. */
  sourceSchema?: Readonly<Record<string, unknown>> | undefined;
  prompts: readonly PromptColumnHint[];
  /** The data's key column (`data.key`): the row key's column in a table when the sink names no `key`. */
  keyField?: string | undefined;
  /** `data.group_by`, when the job has groups: rows carry their group and a table keeps it. */
  groupField?: string | undefined;
}

/** What a sink is built with besides its config: the job, the working folder, the rows' shape, an embedder. */
export interface SinkContext {
  jobId: string;
  /** The working folder: a sink's relative paths (`uri`, `dir`) start from it. */
  cwd: string;
  rowSchema: RowSchemaHint;
  /** Required by a LanceDB sink with `vectors:`. */
  embed?: Embed | undefined;
  /** The environment `${NAME}` references in webhook headers are filled from. @default {} */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** The HTTP agent a webhook sink posts through (the job's proxy settings); unset, undici's global one. */
  dispatcher?: Dispatcher | undefined;
}
