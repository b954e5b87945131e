import { InputError } from '../errors/input-error.ts';
import type { ManifestRowLike, SourceRowLike } from './answer-record.ts';

/**
 * The data rows, walked in step with the manifest's (both in source order), one row held at a time. Join-back
 * matches strictly (`rowOf`); `validate JOB` takes the row at an index when there is one (`at`).
 */
export class SourceRows {
  private readonly data: AsyncIterator<SourceRowLike>;
  private held: SourceRowLike | undefined;
  private done = false;

  constructor(data: AsyncIterable<SourceRowLike>) {
    this.data = data[Symbol.asyncIterator]();
  }

  /**
   * The data row at `index`, or undefined when the data has none there. Rows before it are passed over (rows the
   * manifest does not list: a job prepared with `--only`); indexes must not go back.
   */
  async at(index: number): Promise<SourceRowLike | undefined> {
    let source = await this.peek();
    while (source !== undefined && source.index < index) {
      this.held = undefined;
      source = await this.peek();
    }
    return source?.index === index ? source : undefined;
  }

  /**
   * The data row of a manifest row: the data must still hold the rows prepare read, in the same order. A manifest
   * row rejected for every prompt may have no data row (a line the data reader could not read): it gets the prompt
   * fields only. Anything else is INPUT_CHANGED.
   */
  async rowOf(manifestRow: ManifestRowLike, dataPath: string | undefined): Promise<Readonly<Record<string, unknown>>> {
    const at = await this.at(manifestRow.index);
    if (at?.key === manifestRow.key) {
      this.held = undefined;
      return at.row;
    }
    const source = this.held;
    const unreadable = (source === undefined || source.index > manifestRow.index) && isRejectedEverywhere(manifestRow);
    if (unreadable) return {};
    const found =
      source === undefined ? 'the data ends there' : `found row ${String(source.index)} with key "${source.key}"`;
    throw new InputError(
      'INPUT_CHANGED',
      `${dataPath ?? 'the data'}: row ${String(manifestRow.index)} (key "${manifestRow.key}") of the prepare manifest is not where it was (${found}); the data changed since prepare: restore it, or prepare a new job from it`,
      { context: dataPath === undefined ? {} : { file: dataPath } },
    );
  }

  async close(): Promise<void> {
    await this.data.return?.();
  }

  private async peek(): Promise<SourceRowLike | undefined> {
    if (this.held === undefined && !this.done) {
      const next = await this.data.next();
      if (next.done === true) this.done = true;
      else this.held = next.value;
    }
    return this.held;
  }
}

function isRejectedEverywhere(manifestRow: ManifestRowLike): boolean {
  const entries = Object.values(manifestRow.prompts);
  return entries.length > 0 && entries.every((entry) => 'rejected' in entry);
}
