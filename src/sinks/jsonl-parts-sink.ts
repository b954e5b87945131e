import { mkdir } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { JsonlSinkConfig } from '../config/sinks-config-schema.ts';
import { SinkError } from '../errors/sink-error.ts';
import { writeFileAtomically } from '../output/atomic-write.ts';
import { projectRow } from './project-row.ts';
import type { Sink, SinkBatch } from './sink.ts';
import type { SinkContext } from './sink-context.ts';

/** `part-000001.jsonl`: six digits, more when a job writes more than 999,999 batches (names still sort by width). */
export function partFileName(batchNo: number): string {
  return `part-${String(batchNo).padStart(6, '0')}.jsonl`;
}

/**
 * JSONL part files, one per batch, named by the batch number: a replay of a batch writes the same name with the same
 * bytes. Each part is written to a temp file beside it, fsynced and renamed over the name, so a reader never sees
 * half a part, even after kill -9 (a kept-small copy of output/atomic-write.ts's rule: sinks/ imports only the
 * foundation). A line is the sink row's (projected) enriched row.
 */
export class JsonlPartsSink implements Sink {
  readonly name: string;
  private readonly dir: string;
  private readonly fields: readonly string[] | undefined;

  constructor(config: JsonlSinkConfig, context: SinkContext) {
    this.name = config.name;
    this.fields = config.fields;
    this.dir = isAbsolute(config.dir) ? config.dir : resolve(context.cwd, config.dir);
  }

  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true }).catch((error: unknown) => {
      throw this.failure('create the folder', error);
    });
  }

  async write(batch: SinkBatch): Promise<void> {
    const target = join(this.dir, partFileName(batch.batchNo));
    const text = batch.rows.map((row) => `${JSON.stringify(projectRow(row.row, this.fields))}\n`).join('');
    // Temp file, fsync, rename; a temp file a killed write left is removed by the next write of that part.
    await writeFileAtomically(target, text).catch((error: unknown) => {
      throw this.failure(`write ${target}`, error);
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private failure(what: string, error: unknown): SinkError {
    const code = (error as { code?: unknown }).code;
    // A full disk may clear; a missing permission or a bad path will not.
    const retryable = code === 'ENOSPC' || code === 'EAGAIN' || code === 'EBUSY' || code === 'EMFILE';
    return new SinkError(
      retryable ? 'SINK_UNAVAILABLE' : 'SINK_FAILED',
      `sink "${this.name}": could not ${what} (${String(code ?? (error instanceof Error ? error.message : error))})`,
      { cause: error, context: { file: this.dir } },
    );
  }
}
