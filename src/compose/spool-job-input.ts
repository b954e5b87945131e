import { join } from 'node:path';
import { Readable } from 'node:stream';
import { spoolInput, SPOOLED_INPUT_NAME } from '../input/spool-input.ts';
import type { JobInput } from './job-input.ts';
import { jobDirPath } from './job-paths.ts';

export interface SpoolJobInputOptions {
  workspace: string;
  jobId: string;
  input: JobInput;
  /** Stops a copy under way: it is removed, and `CancelledError` (`INTERRUPTED`) is thrown. */
  signal: AbortSignal;
}

/**
 * The file a new job reads: a regular file where it is; anything else copied into the job's folder first
 * (`<job folder>/input.jsonl`, see `spoolInput`), so resume has a file whose byte offsets stay put. Lines given in
 * code are copied the same way as standard input is: a string is one line, an object is written as JSON.
 */
export async function spoolJobInput(options: SpoolJobInputOptions): Promise<string> {
  const { input } = options;
  if (input.kind === 'file') return input.path;
  const target = join(jobDirPath(options.workspace, options.jobId), SPOOLED_INPUT_NAME);
  if (input.kind === 'stream') {
    await spoolInput({
      input: input.source,
      target,
      signal: options.signal,
      ...(input.stdin === undefined ? {} : { stdin: input.stdin }),
    });
  } else {
    await spoolInput({ input: '-', target, signal: options.signal, stdin: Readable.from(toJsonlChunks(input.lines)) });
  }
  return target;
}

async function* toJsonlChunks(
  lines: AsyncIterable<string | object> | Iterable<string | object>,
): AsyncIterable<string> {
  for await (const line of lines) {
    const text = typeof line === 'string' ? line : JSON.stringify(line);
    yield text.endsWith('\n') ? text : `${text}\n`;
  }
}
