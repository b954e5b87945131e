import { createWriteStream, type WriteStream } from 'node:fs';
import { redactSecrets } from '../../util/redact.ts';

/** A line longer than this is written in pieces (each redacted on its own) rather than held whole. */
const MAX_HELD_LINE_CHARS = 65_536;

/**
 * One task's log file, appended to by every attempt: a header line, the command's stdout and stderr as they come,
 * and a closing line. Every line is passed through `redactSecrets` with the task's secret argument values and the
 * known keys, so a script that prints its own `--api-key` does not leave it on disk.
 *
 * Output is redacted a line at a time: each stream keeps its unfinished line until its newline (or until it grows
 * past 64 KB), so a secret is never split across two writes.
 */
export class TaskLog {
  private readonly stream: WriteStream;
  private readonly secrets: readonly string[];
  private readonly held = { stdout: '', stderr: '' };
  private failed = false;

  constructor(path: string, secrets: readonly string[]) {
    this.secrets = secrets;
    this.stream = createWriteStream(path, { flags: 'a', mode: 0o600 });
    // A log that cannot be written (disk full, folder removed) must not fail the task: the rest is dropped.
    this.stream.on('error', () => {
      this.failed = true;
    });
  }

  /** Writes one line of our own (header, closing line), redacted. */
  note(line: string): void {
    this.write(`${redactSecrets(line, this.secrets)}\n`);
  }

  /** Appends a piece of the command's output. Returns false when the file is behind: pause the source until `drain`. */
  output(source: 'stdout' | 'stderr', text: string): boolean {
    const pending = this.held[source] + text;
    const lastNewline = pending.lastIndexOf('\n');
    let complete = '';
    if (lastNewline >= 0) {
      complete = pending.slice(0, lastNewline + 1);
      this.held[source] = pending.slice(lastNewline + 1);
    } else {
      this.held[source] = pending;
    }
    if (this.held[source].length > MAX_HELD_LINE_CHARS) {
      complete += this.held[source];
      this.held[source] = '';
    }
    return complete === '' ? true : this.write(redactSecrets(complete, this.secrets));
  }

  /** Resolves when the file can take more output. */
  onceDrained(listener: () => void): void {
    this.stream.once('drain', listener);
  }

  /** Writes what is still held (output without a final newline), then closes the file. */
  async close(): Promise<void> {
    for (const source of ['stdout', 'stderr'] as const) {
      if (this.held[source] !== '') this.write(`${redactSecrets(this.held[source], this.secrets)}\n`);
      this.held[source] = '';
    }
    if (this.failed || this.stream.destroyed) return;
    await new Promise<void>((resolve) => {
      this.stream.end(() => resolve());
    });
  }

  private write(text: string): boolean {
    if (this.failed) return true;
    return this.stream.write(text);
  }
}
