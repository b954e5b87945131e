import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';

import { removeStaleTempFiles } from './remove-stale-temp-files.ts';

const FLUSH_BYTES = 1 << 20;

/**
 * A file written in full or not at all: lines go to a temp file beside the target, which
 * is fsynced and renamed over it. A reader never sees half a file, even after kill -9.
 */
export class AtomicFileWriter {
  private readonly target: string;
  private readonly tempPath: string;
  private handle: FileHandle | undefined;
  private buffer: string[] = [];
  private bufferedChars = 0;
  /** The write in flight, if any: the next buffer fills while the kernel takes this one. */
  private inFlight: Promise<void> | undefined;
  /** What the write in flight failed with, thrown at the next write or the commit. */
  private failure: unknown;
  lines = 0;

  constructor(target: string) {
    this.target = target;
    this.tempPath = join(dirname(target), `.${basename(target)}.${String(process.pid)}.tmp`);
  }

  async open(): Promise<void> {
    // A writer killed mid-write left its temp file; whoever writes the target next clears it.
    await removeStaleTempFiles(this.target);
    this.handle = await open(this.tempPath, 'w').catch(this.naming);
  }

  async writeLine(line: string): Promise<void> {
    this.buffer.push(line, '\n');
    this.bufferedChars += line.length + 1;
    this.lines += 1;
    if (this.bufferedChars >= FLUSH_BYTES) await this.flush();
  }

  /** One line given in pieces, each written as it is (a large piece is never joined into one more copy). */
  async writeLineParts(parts: readonly (string | Uint8Array)[]): Promise<void> {
    await this.flush();
    await this.drain();
    const handle = this.requireHandle();
    for (const part of parts) await handle.write(typeof part === 'string' ? Buffer.from(part) : part);
    await handle.write('\n');
    this.lines += 1;
  }

  /** Bytes as they are, no newline (a binary file such as Parquet). */
  async writeBytes(bytes: Uint8Array): Promise<void> {
    await this.flush();
    await this.drain();
    await this.requireHandle().write(bytes).catch(this.naming);
  }

  async commit(): Promise<void> {
    await this.flush();
    await this.drain();
    const handle = this.requireHandle();
    await handle.sync().catch(this.naming);
    await handle.close();
    this.handle = undefined;
    await rename(this.tempPath, this.target).catch(this.naming);
  }

  async abort(): Promise<void> {
    await this.inFlight;
    this.inFlight = undefined;
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
    await rm(this.tempPath, { force: true });
  }

  /**
   * Hands the buffer to the kernel without waiting for it: the caller goes on filling the next buffer (rendering,
   * serializing) while this one is written, and waits only if that write is still going when the next is due.
   */
  private async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const text = this.buffer.join('');
    this.buffer = [];
    this.bufferedChars = 0;
    await this.drain();
    const handle = this.requireHandle();
    // Caught here and kept, not left rejected: nothing may await it before the next write.
    this.inFlight = handle.write(text).then(
      () => undefined,
      (error: unknown) => {
        this.failure = error;
      },
    );
  }

  /** Waits for the write in flight; throws what it failed with, naming the file. */
  private async drain(): Promise<void> {
    await this.inFlight;
    this.inFlight = undefined;
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      this.naming(failure);
    }
  }

  /** A failed write names the file it was for (a full disk's `ENOSPC` on write carries no path). */
  private readonly naming = (error: unknown): never => {
    if (error instanceof Error && (error as { path?: unknown }).path === undefined) {
      Object.assign(error, { path: this.target });
    }
    throw error;
  };

  private requireHandle(): FileHandle {
    if (this.handle === undefined) throw new Error(`${this.target}: writer not open`);
    return this.handle;
  }
}

export async function writeFileAtomically(target: string, text: string): Promise<void> {
  const writer = new AtomicFileWriter(target);
  await writer.open();
  try {
    if (text.length > 0) await writer.writeLine(text.endsWith('\n') ? text.slice(0, -1) : text);
    await writer.commit();
  } catch (error) {
    await writer.abort();
    throw error;
  }
}
