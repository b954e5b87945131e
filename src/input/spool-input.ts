/** Inputs that cannot be read twice (stdin, pipes, FIFOs, `.gz`), copied into the job's folder so resume has a file. */
import { constants, createReadStream, createWriteStream, openSync } from 'node:fs';
import { mkdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { Socket } from 'node:net';
import { dirname, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { CancelledError } from '../errors/index.ts';
import { createUnreadableError } from './open-input-file.ts';

/** The name of a job's own copy of its input, in the job's folder. */
export const SPOOLED_INPUT_NAME = 'input.jsonl';

/**
 * Why an input cannot be used where it is and must be copied first, or null when it can:
 * items point at byte offsets in the input file, and resume reads them again there, so the input must be a regular
 * file that can be read at any offset, and stays the same. Standard input (`-`), a pipe, a FIFO or a socket can be
 * read once only; a gzip file (`.gz`) has no offsets of its lines.
 */
export async function spoolReason(input: string): Promise<'stdin' | 'stream' | 'gzip' | null> {
  if (input === '-') return 'stdin';
  if (input.endsWith('.gz')) return 'gzip';
  // `/dev/stdin`, `/dev/fd/N`, `/proc/self/fd/N` name something else in the process that resumes, even when they
  // point at a regular file now (`< data.jsonl`).
  if (/^\/(dev|proc)\//.test(resolve(input))) return 'stream';
  let kind;
  try {
    kind = await stat(input);
  } catch {
    // Missing or unreadable: left to the regular open, which names the fault.
    return null;
  }
  return kind.isFile() || kind.isDirectory() ? null : 'stream';
}

export interface SpoolInputOptions {
  /** `-` for standard input, or a path (a FIFO, `/dev/stdin`, a `.gz` file, ...). */
  input: string;
  /** Where the job's copy goes: `<job folder>/input.jsonl`. */
  target: string;
  /** Stops the copy (Ctrl-C): the partial copy is removed and `CancelledError` thrown. */
  signal: AbortSignal;
  /** Standard input, when `input` is `-`; injectable for tests. @default process.stdin */
  stdin?: Readable;
}

/**
 * Copies an input that cannot be read twice (see `spoolReason`) into the job's folder, decompressing `.gz`, so the
 * job owns a regular file its items' byte offsets point into and `resume` can read. The copy is private (mode 0600
 * in a 0700 folder) since it holds the requests, and written in full or not at all (a temp name, renamed at the end).
 * It is read as a stream, and a FIFO without a writer yet waits on the main loop (see `openSource`), so Ctrl-C and
 * SIGTERM always work.
 */
export async function spoolInput(options: SpoolInputOptions): Promise<{ bytes: number }> {
  const { input, target, signal } = options;
  const gzip = input.endsWith('.gz');
  const partial = `${target}.partial`;
  await mkdir(dirname(target), { recursive: true, mode: 0o700 });
  let source: Readable | undefined;
  const sink = createWriteStream(partial, { mode: 0o600 });
  try {
    source = await openSource(input, options.stdin);
    if (gzip) await pipeline(source, createGunzip(), sink, { signal });
    else await pipeline(source, sink, { signal });
    await rename(partial, target);
    return { bytes: (await stat(target)).size };
  } catch (error) {
    await rm(partial, { force: true });
    // The job folder was made for the copy: no job exists to keep it.
    await rmdir(dirname(target)).catch(() => undefined);
    if (signal.aborted) throw new CancelledError('stopped while reading the input; nothing was started');
    const shown = input === '-' ? 'standard input' : input;
    if ((error as { code?: unknown }).code === 'Z_DATA_ERROR' || (error as { code?: unknown }).code === 'Z_BUF_ERROR') {
      throw createUnreadableError(shown, new Error(`not a valid gzip file (${(error as Error).message})`));
    }
    throw createUnreadableError(shown, error);
  } finally {
    if (input !== '-') source?.destroy();
  }
}

/**
 * A FIFO or socket is opened non-blocking and read through a libuv pipe handle, as Node reads a piped stdin: a
 * blocking open or read would sit in libuv's thread pool until a writer came, and a process with such a request
 * pending can neither end by itself nor through `process.exit` (it waits for the thread), so Ctrl-C did nothing.
 */
async function openSource(input: string, stdin: Readable | undefined): Promise<Readable> {
  if (input === '-') return stdin ?? process.stdin;
  const kind = await stat(input);
  if (!kind.isFIFO() && !kind.isSocket()) return createReadStream(input);
  const fd = openSync(input, constants.O_RDONLY | constants.O_NONBLOCK);
  return new Socket({ fd, readable: true, writable: false });
}
