// Lines are gathered into strings of about this size before being encoded, so a 100 MB result file is built from a
// few hundred buffers instead of millions of small strings.
const BLOCK_CHARS = 1 << 20;

/** Builds a JSONL file in memory, one JSON value per line, each line ending in `\n`. */
export class JsonlWriter {
  private readonly blocks: Buffer[] = [];
  private pending: string[] = [];
  private pendingChars = 0;
  lines = 0;

  push(value: unknown): void {
    const line = `${JSON.stringify(value)}\n`;
    this.pending.push(line);
    this.pendingChars += line.length;
    this.lines += 1;
    if (this.pendingChars >= BLOCK_CHARS) this.flush();
  }

  /** The file, or undefined when no line was pushed (OpenAI then reports a null file id). */
  finish(): Buffer | undefined {
    this.flush();
    return this.lines === 0 ? undefined : Buffer.concat(this.blocks);
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.blocks.push(Buffer.from(this.pending.join(''), 'utf8'));
    this.pending = [];
    this.pendingChars = 0;
  }
}
