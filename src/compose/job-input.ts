import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { spoolReason } from '../input/spool-input.ts';

/**
 * Where a new job's requests come from. Items point at byte offsets of their input file, and resume reads them there,
 * so only a regular file is read in place; anything that can be read once only (standard input, a pipe, a `.gz`, or
 * lines handed over in code) is first copied into the job's folder (see `spoolJobInput`).
 */
export type JobInput =
  | { kind: 'file'; path: string }
  /** `-` for standard input, or a path to a FIFO, `/dev/stdin`, a `.gz` file, ... */
  | { kind: 'stream'; source: string; stdin?: Readable }
  /** One request per element: a JSONL line as a string, or the request object itself. */
  | { kind: 'lines'; lines: AsyncIterable<string | object> | Iterable<string | object> };

/** The input as the CLI and the library are given it: a path (or `-`), or lines. */
export async function toJobInput(
  input: string | AsyncIterable<string | object> | Iterable<string | object>,
): Promise<JobInput> {
  if (typeof input !== 'string') return { kind: 'lines', lines: input };
  return (await spoolReason(input)) === null
    ? { kind: 'file', path: resolve(input) }
    : { kind: 'stream', source: input };
}

/** The input as a message names it. */
export function describeJobInput(input: JobInput): string {
  if (input.kind === 'file') return input.path;
  if (input.kind === 'stream') return input.source;
  return '(request lines given in code)';
}
